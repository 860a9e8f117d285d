/**
 * Signed requests to the app, shaped like Slack sends them: Events API JSON bodies, slash commands and
 * interactions as `application/x-www-form-urlencoded`. Signature: `v0=` + hex HMAC-SHA256 of
 * `v0:{timestamp}:{raw body}` keyed by the signing secret, in `x-slack-signature`, with the timestamp
 * (seconds) in `x-slack-request-timestamp`. Builders produce realistic `event_callback` envelopes.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';

export interface SignedHeaders { 'x-slack-signature': string; 'x-slack-request-timestamp': string }

export function signRequest(signingSecret: string, rawBody: string, timestampSeconds: number = Math.floor(Date.now() / 1000)): SignedHeaders {
  const ts = String(timestampSeconds);
  const hex = createHmac('sha256', signingSecret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${hex}`, 'x-slack-request-timestamp': ts };
}

export interface PostOptions {
  /** Sent as x-slack-retry-num / x-slack-retry-reason (e.g. 1, 'http_timeout'), as Slack does on redelivery. */
  retryNum?: number;
  retryReason?: string;
  /** Signature timestamp in seconds (default now); an old one makes a stale request. */
  timestamp?: number;
  /** true: sign with a wrong secret; a string: send that exact x-slack-signature. */
  forgedSignature?: boolean | string;
}

async function postSigned(url: string, secret: string, body: string, contentType: string, o: PostOptions = {}): Promise<Response> {
  const signed = signRequest(o.forgedSignature === true ? `${secret}-forged` : secret, body, o.timestamp);
  if (typeof o.forgedSignature === 'string') signed['x-slack-signature'] = o.forgedSignature;
  const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)', ...signed };
  if (o.retryNum !== undefined) headers['x-slack-retry-num'] = String(o.retryNum);
  if (o.retryReason !== undefined) headers['x-slack-retry-reason'] = o.retryReason;
  return fetch(url, { method: 'POST', headers, body });
}

/** POST an Events API body (`event_callback`, `url_verification`, …) as JSON. */
export function postEvent(appUrl: string, signingSecret: string, payload: unknown, opts: PostOptions = {}): Promise<Response> {
  return postSigned(appUrl, signingSecret, JSON.stringify(payload), 'application/json', opts);
}

export interface SlashCommand {
  command: string; text: string; user_id: string; channel_id: string; team_id: string; trigger_id: string;
  response_url?: string; user_name?: string; channel_name?: string; team_domain?: string; api_app_id?: string;
}

/** Builds the form fields of a slash command, the way Slack posts them. */
export function slashCommandBody(c: SlashCommand): Record<string, string> {
  return {
    token: 'standin-verification-token', team_id: c.team_id, team_domain: c.team_domain ?? 'standin', channel_id: c.channel_id,
    channel_name: c.channel_name ?? (c.channel_id.startsWith('D') ? 'directmessage' : 'general'), user_id: c.user_id,
    user_name: c.user_name ?? c.user_id.toLowerCase(), command: c.command, text: c.text, api_app_id: c.api_app_id ?? 'A1',
    is_enterprise_install: 'false',
    // Default points nowhere reachable (port 9, discard) so a test never reaches hooks.slack.com; pass standin.responseUrl().
    response_url: c.response_url ?? `http://127.0.0.1:9/commands/${c.team_id}/0/unset`, trigger_id: c.trigger_id,
  };
}

export function postSlashCommand(appUrl: string, signingSecret: string, c: SlashCommand, opts: PostOptions = {}): Promise<Response> {
  const body = new URLSearchParams(slashCommandBody(c)).toString();
  return postSigned(appUrl, signingSecret, body, 'application/x-www-form-urlencoded', opts);
}

/** Interactions (block_actions, view_submission, shortcut…) arrive as the form field `payload=<json>`. */
export function postInteraction(appUrl: string, signingSecret: string, payload: unknown, opts: PostOptions = {}): Promise<Response> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return postSigned(appUrl, signingSecret, body, 'application/x-www-form-urlencoded', opts);
}

// ---- builders ----

let lastMicros = 0;
/** A fresh, strictly increasing message ts near the current time ("1712345678.123456"). */
export function nextMessageTs(): string {
  lastMicros = Math.max(lastMicros + 1, Date.now() * 1000);
  return `${Math.floor(lastMicros / 1e6)}.${String(lastMicros % 1e6).padStart(6, '0')}`;
}
export const newEventId = (): string => `Ev${randomBytes(5).toString('hex').toUpperCase()}`;
export const newTriggerId = (): string => `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${randomBytes(16).toString('hex')}`;

export interface EnvelopeOptions { teamId?: string; botUserId?: string; apiAppId?: string; eventId?: string; eventTime?: number }

/** Wraps an event the way Slack delivers it over HTTP (and inside a Socket Mode `events_api` payload). */
export function eventCallback(event: Record<string, unknown>, o: EnvelopeOptions = {}): Record<string, any> {
  const team = o.teamId ?? 'T1';
  return {
    token: 'standin-verification-token', team_id: team, context_team_id: team, context_enterprise_id: null,
    api_app_id: o.apiAppId ?? 'A1', event, type: 'event_callback', event_id: o.eventId ?? newEventId(),
    event_time: o.eventTime ?? Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: team, user_id: o.botUserId ?? 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false, event_context: `4-${randomBytes(12).toString('base64url')}`,
  };
}

export const urlVerification = (challenge = randomBytes(16).toString('hex')): Record<string, string> =>
  ({ token: 'standin-verification-token', challenge, type: 'url_verification' });

function richText(text: string): unknown[] {
  return [{ type: 'rich_text', block_id: randomBytes(3).toString('base64url'), elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }] }];
}

export interface MessageEventOptions extends EnvelopeOptions {
  user?: string; text: string; channel?: string; ts?: string; thread_ts?: string; parent_user_id?: string;
}

function messageFields(o: MessageEventOptions, channel: string): Record<string, unknown> {
  const ts = o.ts ?? nextMessageTs();
  return {
    user: o.user ?? 'U1', text: o.text, ts, client_msg_id: randomUUID(), team: o.teamId ?? 'T1', blocks: richText(o.text),
    channel, event_ts: ts, ...(o.thread_ts ? { thread_ts: o.thread_ts } : {}),
  };
}

/**
 * `app_mention` in a channel. The bot mention `<@UBOT>` is prefixed unless the text already has it.
 * Real app_mention events carry no channel_type; they do carry thread_ts when the mention is a thread reply.
 */
export function mentionEvent(o: MessageEventOptions): Record<string, any> {
  const bot = o.botUserId ?? 'UBOT';
  const text = o.text.includes(`<@${bot}>`) ? o.text : `<@${bot}> ${o.text}`;
  return eventCallback({ type: 'app_mention', ...messageFields({ ...o, text }, o.channel ?? 'C1') }, o);
}

/** A `message` event in a DM with the bot (channel_type im); with thread_ts it is a reply in the assistant thread. */
export function dmEvent(o: MessageEventOptions): Record<string, any> {
  const f = messageFields(o, o.channel ?? 'D1');
  return eventCallback({ type: 'message', ...f, ...(o.thread_ts ? { parent_user_id: o.parent_user_id ?? o.botUserId ?? 'UBOT' } : {}), channel_type: 'im' }, o);
}

/** A `message` event replying in a channel thread (no mention), channel_type channel. */
export function threadReplyEvent(o: MessageEventOptions & { thread_ts: string }): Record<string, any> {
  const f = messageFields(o, o.channel ?? 'C1');
  return eventCallback({ type: 'message', ...f, parent_user_id: o.parent_user_id ?? o.botUserId ?? 'UBOT', channel_type: 'channel' }, o);
}

/** `assistant_thread_started`: the user opened the assistant pane (a DM thread); context is the channel they were viewing. */
export function assistantThreadStartedEvent(o: EnvelopeOptions & { user?: string; channel?: string; thread_ts?: string; contextChannelId?: string } = {}): Record<string, any> {
  const ts = o.thread_ts ?? nextMessageTs();
  const context = { ...(o.contextChannelId ? { channel_id: o.contextChannelId } : {}), team_id: o.teamId ?? 'T1', enterprise_id: null };
  return eventCallback({
    type: 'assistant_thread_started',
    assistant_thread: { user_id: o.user ?? 'U1', context, channel_id: o.channel ?? 'D1', thread_ts: ts },
    event_ts: nextMessageTs(),
  }, o);
}
