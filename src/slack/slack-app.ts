import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, Assistant, HTTPReceiver } from '@slack/bolt';
import { LRUCache } from 'lru-cache';
import type { WebClient } from '@slack/web-api';
import type { Config } from '../config/load-config.js';
import type { Logger } from '../ops/logger.js';
import type { HealthCheck } from '../ops/health.js';
import { healthHandler } from '../ops/health.js';
import type { MessageHandler, Surface } from '../surface/surface.js';
import type { Store } from '../store/store.js';
import { boltLogger } from './bolt-logger.js';
import { createSlackSurface, StreamingSupport, type SlackSurfaceOptions } from './slack-surface.js';
import { readThreadContext, stripBotMention } from './thread-context.js';
import { slackErrorCode } from './slack-error.js';
import { SlackAuthWatch, type TokenRefusal } from './slack-auth-watch.js';
import { SlackRetryLog } from './slack-retry-log.js';
import { refusesTokenAtStart, slackStartupError, tokenRefusedError, type StartupCall } from './slack-startup.js';
import { startAckFront, type AckFront } from './ack-front.js';
import { cleanInput } from '../text/clean-input.js';


/** Slack signs each request with its send time; anything more than 5 minutes off either way is refused. */
export function timestampFresh(header: string | string[] | undefined, now = Date.now()): boolean {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && Math.abs(now / 1000 - seconds) <= 300;
}

/** What a feature module (commands, goals, tools) gets to register its own listeners on the Bolt app. */
export interface SlackFeatureContext {
  app: App;
  config: Config;
  orchestrator: MessageHandler;
  store: Store;
  logger: Logger;
  /** A Surface for a thread, the same the conversation path uses. */
  surfaceFor(args: { client: WebClient; channel: string; threadTs: string; userId: string; teamId: string }): Surface;
}
export type SlackFeature = (context: SlackFeatureContext) => void;

export interface SlackAppDeps {
  config: Config;
  orchestrator: MessageHandler;
  store: Store;
  logger: Logger;
  health: HealthCheck;
  /** Overrides for tests (e.g. fast WebClient retries). */
  clientOptions?: Record<string, unknown>;
  /** Feature modules registering their own listeners (slash commands, buttons, App Home…). */
  features?: SlackFeature[];
  /** Tools: approvals of side-effecting tool calls, waited for by each thread's Surface. */
  approvals?: SlackSurfaceOptions['approvals'];
  /** GET /metrics on this server (absent when METRICS_PORT serves it elsewhere). */
  metrics?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** Which threads are the bot's (default: the store; app.ts passes the outage-aware KnownThreads). */
  threads?: { threadKnown(workspaceId: string, channelId: string, threadTs: string): Promise<boolean> };
}

export interface SlackApp {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  /** A Surface for an existing thread (e.g. to resume a goal after a restart). */
  surfaceForThread(args: { channel: string; threadTs: string; userId: string; teamId: string }): Surface;
  /** Posts a message to a channel (admin notices: budget alerts, recurring errors, the digest, approvals). */
  post(channel: string, text: string, blocks?: unknown[]): Promise<void>;
}

interface MessageLike {
  user?: string; text?: string; ts: string; thread_ts?: string; channel: string; channel_type?: string;
  bot_id?: string; subtype?: string;
}

// Message subtypes that carry a person's new words; edits, deletions, joins and bot posts are ignored.
const ANSWERABLE_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

export const SUGGESTED_PROMPTS = [
  { title: 'Summarize a thread', message: 'Summarize this thread and list the action items.' },
  { title: 'Plan a launch', message: 'plan: research three competitors, draft the announcement from that, then write a FAQ' },
  { title: 'Check a calculation', message: 'What is 17.5% of 2,340, and what is that per month over 12 months?' },
  { title: 'How am I doing?', message: 'What can you help me with?' },
];

/**
 * The Bolt app: HTTP (signed requests on /slack/events) or Socket Mode, chosen by config. Every mention,
 * DM, follow-up in a thread the bot is part of, and Assistant-panel message goes to the orchestrator with a
 * Surface for its thread. Events are acknowledged before the work starts (Bolt acks events first).
 */
export function createSlackApp(deps: SlackAppDeps): SlackApp {
  const { config, orchestrator, store, logger } = deps;
  const slack = config.slack;
  if (slack.kind === 'console') throw new Error('createSlackApp needs Slack tokens');
  const streaming = new StreamingSupport(slack.streaming);
  // Every Web API answer passes this watch (Bolt's clients and the Socket Mode client share clientOptions).
  const authWatch = new SlackAuthWatch({ apiUrl: slack.apiUrl });
  const baseOptions: { slackApiUrl: string; retryConfig: { retries?: number; [option: string]: unknown }; rejectRateLimitedCalls?: boolean; [option: string]: unknown } = {
    slackApiUrl: slack.apiUrl,
    // Rate-limited calls wait for Retry-After and are retried; other failures a few times, then reported.
    retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 },
    ...deps.clientOptions,
  };
  // Each failed attempt is logged once with its method, status and attempt (WebClient retries 5xx silently).
  const retryLog = new SlackRetryLog({
    apiUrl: slack.apiUrl, logger: logger.child({ component: 'slack-api' }), retries: Number(baseOptions.retryConfig.retries ?? 0),
    rejectRateLimitedCalls: baseOptions.rejectRateLimitedCalls === true,
  });
  const clientOptions = {
    ...baseOptions,
    fetch: authWatch.fetch(retryLog.fetch((deps.clientOptions?.fetch as typeof globalThis.fetch | undefined) ?? globalThis.fetch)),
  };
  // A token Slack stopped accepting while serving makes /health 503 with the reason: nothing works without it.
  const health = healthHandler({
    ready: deps.health.ready,
    checks: { ...deps.health.checks, slack: async () => authWatch.refusal === undefined },
    details: () => {
      const refusal = authWatch.refusal;
      return { ...deps.health.details?.(), ...(refusal ? { slack: { reason: refusal.error, variable: refusal.variable, method: refusal.method, since: refusal.since } } : {}) };
    },
  });
  // HTTP mode: Bolt's HTTPReceiver verifies signatures; our own server in front of it adds /health and refuses
  // timestamps from the future too (Bolt only refuses old ones; Slack's guidance is ±5 minutes).
  const receiver = slack.kind === 'http'
    ? new HTTPReceiver({ signingSecret: slack.signingSecret, endpoints: '/slack/events', logger: boltLogger(logger) })
    : undefined;
  // deferInitialization: Bolt would otherwise call auth.test in the constructor and leave its rejection unhandled;
  // start() runs it (app.init) and turns a refused token into a clear SLACK_AUTH_FAILED.
  const app = slack.kind === 'socket'
    ? new App({ token: slack.botToken, appToken: slack.appToken, socketMode: true, clientOptions, logger: boltLogger(logger), deferInitialization: true })
    : new App({ token: slack.botToken, receiver: receiver!, clientOptions, logger: boltLogger(logger), deferInitialization: true });
  let server: Server | undefined;
  let front: AckFront | undefined;
  const titledThreads = new LRUCache<string, true>({ max: 10_000 });

  const handle = async (args: {
    event: MessageLike; client: WebClient; teamId: string; eventId?: string; botUserId?: string; botId?: string;
    assistantStatus?: (status: string) => Promise<unknown>;
    /** Slack's x-slack-retry-num / -reason: set on a redelivery of an event Slack thinks was not acknowledged. */
    retry?: { retryNum?: number | undefined; retryReason?: string | undefined };
  }) => {
    const { event, client } = args;
    if (!event.user) return;
    const threadTs = event.thread_ts ?? event.ts;
    const retry = args.retry?.retryNum ? { retryNum: args.retry.retryNum, retryReason: args.retry.retryReason } : {};
    const runLogger = logger.child({ teamId: args.teamId, channel: event.channel, eventId: args.eventId, ...retry });
    const surface = createSlackSurface({
      client, channel: event.channel, threadTs, userId: event.user, teamId: args.teamId, streaming, logger: runLogger,
      ...(deps.approvals ? { approvals: deps.approvals } : {}),
      ...(args.assistantStatus ? { assistantStatus: args.assistantStatus } : {}),
    });
    const outcome = await orchestrator.handle({
      workspaceId: args.teamId,
      surface: 'slack',
      userId: event.user,
      // Cleaned at the edge: a NUL or a lone surrogate is odd input, not a reason for the database to refuse the run.
      text: stripBotMention(cleanInput(event.text), args.botUserId),
      channelId: event.channel,
      messageTs: event.ts,
      threadTs,
      ...(args.eventId ? { eventId: args.eventId } : {}),
      loadContext: () => readThreadContext(client, {
        channel: event.channel, threadTs, currentTs: event.ts, userId: event.user!,
        ...(args.botUserId ? { botUserId: args.botUserId } : {}), ...(args.botId ? { botId: args.botId } : {}),
      }, runLogger),
    }, surface);
    // A redelivery (Slack's retry, or the same message as app_mention and message) is answered once: the run log's
    // claim on the event id and on channel + message ts decides. Say so, so a retry storm is visible.
    if (outcome.kind === 'duplicate') runLogger.info({ runId: outcome.runId }, 'redelivery not answered again: this message is already claimed');
  };

  app.assistant(new Assistant({
    threadStarted: async ({ say, setSuggestedPrompts, saveThreadContext }) => {
      // Each step is independent: a failed greeting must not cost the user the suggested prompts.
      const attempt = (what: string, step: () => Promise<unknown>) => step().catch((error: unknown) =>
        logger.warn({ err: slackErrorCode(error) }, `assistant thread start: ${what} failed`));
      await attempt('greeting', () => say('Hi! Ask me anything, or give me a goal and I will plan it. You can rate answers with /better.'));
      await attempt('context', () => saveThreadContext());
      await attempt('suggested prompts', () => setSuggestedPrompts({ title: 'Try one of these', prompts: SUGGESTED_PROMPTS }));
    },
    threadContextChanged: async ({ saveThreadContext }) => { await saveThreadContext(); },
    userMessage: async ({ message, client, context, body, setStatus, setTitle }) => {
      const event = message as unknown as MessageLike;
      if (event.bot_id || !ANSWERABLE_SUBTYPES.has(event.subtype)) return;
      // The first question names the Assistant thread; later ones must not rename it.
      const threadKey = `${event.channel}:${event.thread_ts ?? event.ts}`;
      if (event.text && !titledThreads.has(threadKey)) {
        titledThreads.set(threadKey, true);
        await setTitle(cleanInput(event.text).slice(0, 80)).catch(() => {});
      }
      await handle({
        event, client, teamId: context.teamId ?? (body as { team_id?: string }).team_id ?? 'unknown',
        eventId: (body as { event_id?: string }).event_id,
        ...(context.botUserId ? { botUserId: context.botUserId } : {}), ...(context.botId ? { botId: context.botId } : {}),
        assistantStatus: (status) => setStatus(status), retry: context,
      });
    },
  }));

  app.event('app_mention', async ({ event, client, context, body }) => {
    const mention = event as unknown as MessageLike;
    if (mention.bot_id || (mention.subtype && !ANSWERABLE_SUBTYPES.has(mention.subtype))) return;
    await handle({
      event: mention, client, teamId: context.teamId ?? body.team_id, eventId: body.event_id, retry: context,
      ...(context.botUserId ? { botUserId: context.botUserId } : {}), ...(context.botId ? { botId: context.botId } : {}),
    });
  });

  app.event('message', async ({ event, client, context, body }) => {
    const message = event as unknown as MessageLike;
    if (!ANSWERABLE_SUBTYPES.has(message.subtype) || message.bot_id || !message.user) return;
    if (context.botUserId && message.user === context.botUserId) return;
    const teamId = context.teamId ?? body.team_id;
    if (message.channel_type !== 'im') {
      // In channels, answer follow-ups only in threads the bot is already part of; mentions come as app_mention.
      const inThread = message.thread_ts && message.thread_ts !== message.ts;
      if (!inThread || !(await (deps.threads ?? store.runs).threadKnown(teamId, message.channel, message.thread_ts!))) return;
    }
    await handle({
      event: message, client, teamId, eventId: body.event_id, retry: context,
      ...(context.botUserId ? { botUserId: context.botUserId } : {}), ...(context.botId ? { botId: context.botId } : {}),
    });
  });

  // The newer agent surface sends this when the user moves between channels; nothing to do but acknowledge.
  app.event('app_context_changed' as never, async () => {});

  const surfaceFor: SlackFeatureContext['surfaceFor'] = (args) =>
    createSlackSurface({ ...args, streaming, logger: logger.child({ teamId: args.teamId, channel: args.channel }) });
  for (const feature of deps.features ?? []) feature({ app, config, orchestrator, store, logger, surfaceFor });

  app.error(async (error) => {
    logger.error({ err: error, code: (error as { code?: string }).code }, 'unhandled Slack listener error');
  });

  return {
    surfaceForThread: (args) => surfaceFor({ ...args, client: app.client }),
    async post(channel, text, blocks) {
      await app.client.chat.postMessage({ channel, text, unfurl_links: false, unfurl_media: false, ...(blocks ? { blocks: blocks as never } : {}) });
    },
    async start() {
      await checkTokensAndConnect(app, authWatch, { apiUrl: slack.apiUrl, socketMode: !receiver });
      authWatch.onChange((refusal, variable) => logTokenChange(logger, refusal, variable));
      server = createServer((req, res) => {
        if (req.method === 'GET' && req.url === '/health') return void health(req, res);
        if (deps.metrics && req.method === 'GET' && req.url?.split('?')[0] === '/metrics') return void deps.metrics(req, res);
        if (receiver && req.url?.startsWith('/slack/events')) {
          if (!timestampFresh(req.headers['x-slack-request-timestamp'])) {
            logger.warn({ timestamp: req.headers['x-slack-request-timestamp'] }, 'refused a Slack request with a stale or future timestamp');
            return void res.writeHead(401).end();
          }
          return receiver.requestListener(req, res);
        }
        res.writeHead(404).end();
      });
      // HTTP mode: this server only takes requests from the acknowledgement front (ack-front.ts), which owns the
      // public port and acknowledges events on its own thread, however busy this one is.
      await new Promise<void>((resolve) => (receiver ? server!.listen(0, '127.0.0.1', resolve) : server!.listen(config.server.port, resolve)));
      const local = (server.address() as AddressInfo).port;
      if (receiver) {
        front = await startAckFront({
          port: config.server.port, upstreamPort: local, signingSecret: slack.signingSecret!,
          onHandoverFailed: (reason) => logger.error({ reason }, 'an acknowledged Slack event could not be handed to the app'),
        });
      }
      const port = front?.port ?? local;
      logger.info({ port, mode: slack.kind }, receiver ? 'listening for Slack events on /slack/events' : 'connected in Socket Mode; /health on port');
      return { port };
    },
    async stop() {
      await front?.close();
      if (server) {
        // Stop accepting first, then let requests already acknowledged finish in the orchestrator's drain.
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      }
      if (!receiver) await app.stop().catch((error: unknown) => logger.warn({ err: error }, 'Socket Mode did not stop cleanly'));
    },
  };
}

/**
 * Start-up: auth.test with the bot token (Bolt's app.init), then in Socket Mode apps.connections.open with the
 * app token (app.start). Either refusal, or no connection to SLACK_API_URL, ends start() with an AppError whose
 * message says which variable and what Slack answered (see slack-startup.ts). The Socket Mode client retries
 * some refusals (token_revoked, not_allowed_token_type…) forever, so the watch's view of the answer decides too.
 */
async function checkTokensAndConnect(app: App, watch: SlackAuthWatch, o: { apiUrl: string; socketMode: boolean }): Promise<void> {
  const bot: StartupCall = { variable: 'SLACK_BOT_TOKEN', method: 'auth.test', apiUrl: o.apiUrl };
  try {
    await app.init();
  } catch (error) {
    throw slackStartupError(error, bot);
  }
  if (!o.socketMode) return;
  const socket: StartupCall = { variable: 'SLACK_APP_TOKEN', method: 'apps.connections.open', apiUrl: o.apiUrl };
  let stopWatching = () => {};
  const refused = new Promise<never>((_, reject) => {
    stopWatching = watch.onError((method, slackError) => {
      if (method === socket.method && refusesTokenAtStart(slackError)) reject(tokenRefusedError(socket, slackError));
    });
  });
  try {
    await Promise.race([app.start(), refused]);
  } catch (error) {
    await app.stop().catch(() => {}); // stops the Socket Mode client's reconnect loop
    throw slackStartupError(error, socket);
  } finally {
    stopWatching();
  }
}

function logTokenChange(logger: Logger, refusal: TokenRefusal | undefined, variable: string): void {
  if (refusal) {
    logger.error({ variable, slackError: refusal.error, method: refusal.method },
      `Slack no longer accepts ${variable}: ${refusal.method} answered "${refusal.error}". /health reports 503 until a call with it succeeds; replace the token and restart.`);
  } else {
    logger.info({ variable }, `Slack accepts ${variable} again; /health no longer reports it`);
  }
}
