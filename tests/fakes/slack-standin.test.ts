import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { App, LogLevel, verifySlackRequest } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { ErrorCode, WebClient, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  assistantThreadStartedEvent, dmEvent, mentionEvent, postEvent, postInteraction, postSlashCommand, signRequest, threadReplyEvent,
} from './slack-events.js';
import { startSocketModeStandin, type SocketModeStandin } from './slack-socket-standin.js';
import { startSlackStandin, type SlackStandin } from './slack-standin.js';

const BOT_TOKEN = 'xoxb-standin-test';
const APP_TOKEN = 'xapp-1-A1-1-standin';
const SECRET = 'standin-signing-secret';

let slack: SlackStandin;
// WebClients hold no sockets of their own; the stand-in's close() drops keep-alive connections.
const client = (opts: ConstructorParameters<typeof WebClient>[1] = {}): WebClient =>
  new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 }, ...opts });
const platformError = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(() => undefined, (e: WebAPIPlatformError) => e.data?.error ?? String(e));

beforeAll(async () => { slack = await startSlackStandin(); });
afterAll(async () => { await slack.close(); });
beforeEach(() => {
  slack.reset();
  slack.addUser({ id: 'U1', name: 'ada', real_name: 'Ada Lovelace', title: 'Analyst', tz: 'Europe/London' });
  slack.addChannel({ id: 'C1', name: 'general', members: ['U1', 'UBOT'] });
  slack.addChannel({ id: 'D1', name: '', members: ['U1', 'UBOT'], is_im: true });
});

describe('Web API stand-in through the real WebClient', () => {
  test('postMessage in a thread then conversations.replies returns parent and reply', async () => {
    const web = client();
    const parent = slack.addMessage('C1', { user: 'U1', text: 'what is our churn?' });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*12%*' } }];
    const posted = await web.chat.postMessage({ channel: 'C1', thread_ts: parent, text: '12%', blocks });
    expect(posted.channel).toBe('C1');
    expect(Number(posted.ts)).toBeGreaterThan(Number(parent));

    const replies = await web.conversations.replies({ channel: 'C1', ts: parent });
    expect(replies.messages?.map((m) => m.ts)).toEqual([parent, posted.ts]);
    expect(replies.messages?.[0]).toMatchObject({ reply_count: 1, thread_ts: parent, latest_reply: posted.ts });
    expect(replies.messages?.[1]).toMatchObject({ text: '12%', thread_ts: parent, user: 'UBOT', bot_id: slack.botId, blocks, parent_user_id: 'U1' });
    expect(slack.callsTo('chat.postMessage')[0]).toMatchObject({ token: BOT_TOKEN, args: { channel: 'C1', thread_ts: parent, blocks } });

    const history = await web.conversations.history({ channel: 'C1', limit: 1 });
    expect(history.messages?.map((m) => m.ts)).toEqual([parent]); // replies stay out of history
    await expect(slack.waitFor('conversations.history')).resolves.toMatchObject({ status: 200 });
  });

  test('history is newest first and paginates; errors come back as Slack error codes', async () => {
    const web = client();
    const ts = [1, 2, 3].map((i) => slack.addMessage('C1', { user: 'U1', text: `m${i}` }));
    const first = await web.conversations.history({ channel: 'C1', limit: 2 });
    expect(first.messages?.map((m) => m.text)).toEqual(['m3', 'm2']);
    expect(first.has_more).toBe(true);
    const second = await web.conversations.history({ channel: 'C1', limit: 2, cursor: first.response_metadata?.next_cursor });
    expect(second.messages?.map((m) => m.ts)).toEqual([ts[0]]);

    expect(await platformError(web.chat.postMessage({ channel: 'C404', text: 'x' }))).toBe('channel_not_found');
    expect(await platformError(web.chat.postMessage({ channel: 'C1' } as never))).toBe('no_text');
    expect(await platformError(web.users.info({ user: 'U404' }))).toBe('user_not_found');
    expect(await platformError(web.apiCall('chat.fly', { channel: 'C1' }))).toBe('unknown_method');
    expect(await platformError(new WebClient(undefined, { slackApiUrl: slack.apiUrl, logLevel: LogLevel.ERROR }).auth.test())).toBe('not_authed');

    const user = await web.users.info({ user: 'U1' });
    expect(user.user).toMatchObject({ id: 'U1', real_name: 'Ada Lovelace', tz: 'Europe/London', profile: { title: 'Analyst' } });
    expect((await web.auth.test()).user_id).toBe('UBOT');
  });

  test('429 with Retry-After rejects when rejectRateLimitedCalls, and is retried otherwise', async () => {
    slack.failNext('chat.postMessage', { retryAfterSeconds: 1 });
    const error = await client({ rejectRateLimitedCalls: true }).chat.postMessage({ channel: 'C1', text: 'hi' })
      .then(() => undefined, (e: WebAPIRateLimitedError) => e);
    expect(error?.code).toBe(ErrorCode.RateLimitedError);
    expect(error?.retryAfter).toBe(1);

    slack.failNext('chat.postMessage', { retryAfterSeconds: 1 });
    const started = Date.now();
    const ok = await client({ retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 } }).chat.postMessage({ channel: 'C1', text: 'hi' });
    expect(ok.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(slack.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 429, 200]);
    expect(slack.messages('C1').map((m) => m.text)).toEqual(['hi']);
  });

  test('failNext: HTTP 500 and ok:false; override answers custom JSON', async () => {
    slack.failNext('users.info', { status: 500 });
    const http = await client().users.info({ user: 'U1' }).then(() => undefined, (e: WebAPIHTTPError) => e);
    expect(http?.code).toBe(ErrorCode.HTTPError);
    expect(http?.statusCode).toBe(500);
    slack.failNext('users.info', { error: 'invalid_auth' });
    expect(await platformError(client().users.info({ user: 'U1' }))).toBe('invalid_auth');
    slack.override('users.info', (args) => ({ ok: true, user: { id: args.user, name: 'custom' } }));
    expect((await client().users.info({ user: 'U9' })).user?.name).toBe('custom');
  });

  test('streaming start/append/stop yields one message holding all the text', async () => {
    const web = client();
    const parent = slack.addMessage('D1', { user: 'U1', text: 'explain' });
    const start = await web.chat.startStream({ channel: 'D1', thread_ts: parent, markdown_text: 'Hello' });
    await web.chat.appendStream({ channel: 'D1', ts: start.ts!, markdown_text: ', wor' });
    const stop = await web.chat.stopStream({ channel: 'D1', ts: start.ts!, markdown_text: 'ld.' });
    expect(stop.message).toMatchObject({ text: 'Hello, world.', streaming_state: 'completed' });
    const thread = slack.messages('D1').filter((m) => m.thread_ts === parent && m.ts !== parent);
    expect(thread).toHaveLength(1);
    expect(thread[0]).toMatchObject({ ts: start.ts, text: 'Hello, world.' });
    expect(await platformError(web.chat.appendStream({ channel: 'D1', ts: start.ts!, markdown_text: 'late' }))).toBe('message_not_in_streaming_state');

    // The SDK's ChatStreamer sends `chunks` rather than markdown_text.
    const streamer = web.chatStream({ channel: 'C1', thread_ts: parent, recipient_user_id: 'U1', recipient_team_id: 'T1', buffer_size: 4 });
    await streamer.append({ markdown_text: 'one ' });
    await streamer.append({ markdown_text: 'two ' });
    await streamer.stop({ markdown_text: 'three' });
    expect(slack.callsTo('chat.appendStream').at(-1)?.args.chunks).toEqual([{ type: 'markdown_text', text: 'two ' }]);
    expect(slack.messages('C1').find((m) => m.ts === streamer.ts)?.text).toBe('one two three');

    expect(await platformError(web.chat.startStream({ channel: 'C1', thread_ts: parent, markdown_text: 'x' }))).toBe('missing_recipient_user_id');
    expect(await platformError(web.chat.startStream({ channel: 'D1', thread_ts: parent, markdown_text: 'x'.repeat(12_001) }))).toBe('msg_too_long');
    slack.streamingSupported = false;
    expect(await platformError(web.chat.startStream({ channel: 'D1', thread_ts: parent, markdown_text: 'x' }))).toBe('unknown_method');
  });

  test('files.uploadV2 goes through getUploadURLExternal, the upload URL and completeUploadExternal', async () => {
    const parent = slack.addMessage('C1', { user: 'U1', text: 'send the csv' });
    const bytes = Buffer.from('a,b\n1,2\n');
    const res = await client().files.uploadV2({ channel_id: 'C1', thread_ts: parent, file: bytes, filename: 'report.csv', title: 'Report' });
    expect(res.ok).toBe(true);
    expect(slack.uploads).toHaveLength(1);
    const up = slack.uploads[0]!;
    expect(up).toMatchObject({ filename: 'report.csv', channel_id: 'C1', thread_ts: parent, title: 'Report', completed: true });
    expect(up.bytes.equals(bytes)).toBe(true);
    expect(slack.callsTo('files.completeUploadExternal')[0]?.args.files).toEqual([{ id: up.file_id, title: 'Report' }]);
    const reply = slack.messages('C1').find((m) => m.thread_ts === parent && m.ts !== parent);
    expect(reply?.files?.[0]).toMatchObject({ id: up.file_id, name: 'report.csv', size: bytes.length });
  });
});

describe('signed requests', () => {
  test('signRequest matches a recomputation and Bolt verifySlackRequest; stale and forged are rejected', () => {
    const body = JSON.stringify({ type: 'event_callback', event: { type: 'app_mention', text: 'héllo' } });
    const now = Math.floor(Date.now() / 1000);
    const h = signRequest(SECRET, body, now);
    expect(h['x-slack-request-timestamp']).toBe(String(now));
    const expected = Buffer.from(`v0=${createHmac('sha256', SECRET).update(`v0:${now}:${body}`).digest('hex')}`);
    expect(timingSafeEqual(Buffer.from(h['x-slack-signature']), expected)).toBe(true);
    const verify = (headers: typeof h, b = body) => verifySlackRequest({
      signingSecret: SECRET, body: b, headers: { 'x-slack-signature': headers['x-slack-signature'], 'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']) },
    });
    expect(() => verify(h)).not.toThrow();
    expect(() => verify(h, `${body} `)).toThrow(/signature mismatch/);
    expect(() => verify(signRequest('other-secret', body, now))).toThrow(/signature mismatch/);
    expect(() => verify(signRequest(SECRET, body, now - 6 * 60))).toThrow(/stale/);
  });

  test('a Bolt app accepts the builders\' events, commands and interactions and answers through the stand-in', async () => {
    const app = new App({ signingSecret: SECRET, token: BOT_TOKEN, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } } });
    const seen: string[] = [];
    app.event('app_mention', async ({ event, say }) => { seen.push(`mention:${event.channel}`); await say({ text: 'on it', thread_ts: event.ts }); });
    app.message(async ({ message }) => { seen.push(`message:${'channel_type' in message ? message.channel_type : '?'}`); });
    app.event('assistant_thread_started', async ({ event }) => { seen.push(`started:${event.assistant_thread.channel_id}`); });
    app.command('/ask', async ({ command, ack }) => { seen.push(`command:${command.text}`); await ack('thinking'); });
    app.action('go', async ({ ack }) => { seen.push('action'); await ack(); });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    try {
      const mention = mentionEvent({ user: 'U1', text: 'churn?', channel: 'C1' });
      expect(mention.event.text).toBe('<@UBOT> churn?');
      expect((await postEvent(url, SECRET, mention)).status).toBe(200);
      const said = await slack.waitFor('chat.postMessage');
      expect(said.args).toMatchObject({ channel: 'C1', thread_ts: mention.event.ts, text: 'on it' });

      expect((await postEvent(url, SECRET, dmEvent({ user: 'U1', text: 'hi' }))).status).toBe(200);
      expect((await postEvent(url, SECRET, threadReplyEvent({ user: 'U1', text: 'more', thread_ts: mention.event.ts }), { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
      expect((await postEvent(url, SECRET, assistantThreadStartedEvent({ user: 'U1', channel: 'D1' }))).status).toBe(200);
      const cmd = await postSlashCommand(url, SECRET, { command: '/ask', text: 'why', user_id: 'U1', channel_id: 'C1', team_id: 'T1', trigger_id: '1.2.abc', response_url: slack.responseUrl() });
      expect(await cmd.text()).toBe('thinking');
      const action = { type: 'block_actions', user: { id: 'U1' }, team: { id: 'T1' }, api_app_id: 'A1', trigger_id: '1.2.abc', actions: [{ action_id: 'go', block_id: 'b', type: 'button', action_ts: '1.2' }] };
      expect((await postInteraction(url, SECRET, action)).status).toBe(200);
      expect((await postEvent(url, SECRET, mention, { forgedSignature: true })).status).toBe(401);
      expect((await postEvent(url, SECRET, mention, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
      expect(seen).toEqual(['mention:C1', 'message:im', 'message:channel', 'started:D1', 'command:why', 'action']);
    } finally {
      await app.stop();
    }
  });
});

describe('Socket Mode stand-in', () => {
  let socket: SocketModeStandin;
  beforeEach(async () => { socket = await startSocketModeStandin(slack); });
  afterEach(async () => { await socket.close(); });

  test('SocketModeClient connects through apps.connections.open and acks delivered envelopes', async () => {
    const sm = new SocketModeClient({ appToken: APP_TOKEN, logLevel: LogLevel.ERROR, autoReconnectEnabled: false, clientOptions: { slackApiUrl: slack.apiUrl } });
    const mentions: any[] = [];
    sm.on('app_mention', async ({ event, ack }) => { mentions.push(event); await ack(); });
    sm.on('slash_commands', async ({ body, ack }) => { await ack({ text: `got ${body.command}` }); });
    try {
      await sm.start();
      expect(slack.callsTo('apps.connections.open')[0]?.token).toBe(APP_TOKEN);
      expect(socket.connectionCount).toBe(1);

      const payload = mentionEvent({ user: 'U1', text: 'hello', channel: 'C1' });
      const ack = await socket.deliver({ type: 'events_api', payload, envelope_id: 'env-1', retry_attempt: 1, retry_reason: 'timeout' });
      expect(ack).toMatchObject({ envelope_id: 'env-1', payload: {} });
      expect(mentions[0]).toMatchObject({ type: 'app_mention', text: '<@UBOT> hello' });

      const cmdAck = await socket.deliver({ type: 'slash_commands', payload: { command: '/ask', text: 'x', user_id: 'U1', channel_id: 'C1' } });
      expect(cmdAck.payload).toEqual({ text: 'got /ask' });

      await expect(socket.deliver({ type: 'events_api', payload: { ...payload, event: { type: 'reaction_added' } } }, { timeoutMs: 300 }))
        .rejects.toThrow(/no ack/);
    } finally {
      await sm.disconnect();
    }
    await expect.poll(() => socket.connectionCount).toBe(0);
  });

  test('a Bolt app in socketMode reaches both stand-ins through clientOptions.slackApiUrl', async () => {
    const app = new App({
      token: BOT_TOKEN, appToken: APP_TOKEN, socketMode: true, logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    app.event('app_mention', async ({ event, say }) => { await say({ text: 'via socket', thread_ts: event.ts }); });
    await app.start();
    try {
      const payload = mentionEvent({ user: 'U1', text: 'hi', channel: 'C1' });
      const ack = await socket.deliver({ type: 'events_api', payload });
      expect(ack.payload).toEqual({});
      const said = await slack.waitFor('chat.postMessage');
      expect(said).toMatchObject({ token: BOT_TOKEN, args: { channel: 'C1', text: 'via socket', thread_ts: payload.event.ts } });
    } finally {
      await app.stop();
    }
  });

  test('apps.connections.open refuses a bot token', async () => {
    expect(await platformError(client().apps.connections.open({}))).toBe('not_allowed_token_type');
  });
});
