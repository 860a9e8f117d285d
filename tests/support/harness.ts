import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Store } from '../../src/store/store.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { postEvent, type PostOptions } from '../fakes/slack-events.js';
import { startSlackStandin, type SlackStandin } from '../fakes/slack-standin.js';
import { pgliteStore } from './stores.js';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';

export interface Harness {
  app: RunningApp;
  slack: SlackStandin;
  openai: OpenAIStandin;
  store: Store;
  /** http://127.0.0.1:PORT */
  url: string;
  send(payload: unknown, options?: PostOptions): Promise<Response>;
  /** Waits until the run log has settled the runs of these keys (or any run when none given). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole app in HTTP mode on 127.0.0.1, talking real protocols to the Slack Web API stand-in and the
 * OpenAI-compatible stand-in, on a real (in-memory PGlite) database.
 */
export async function startHarness(env: Record<string, string> = {}, options: { store?: Store; logger?: Logger } = {}): Promise<Harness> {
  const slack = await startSlackStandin();
  slack.addUser({ id: 'U1', name: 'ada', real_name: 'Ada Lovelace', tz: 'Europe/London' });
  slack.addUser({ id: 'U2', name: 'grace', real_name: 'Grace Hopper', tz: 'America/New_York' });
  slack.addChannel({ id: 'C1', name: 'general', members: ['U1', 'U2', slack.botUserId] });
  const openai = await startOpenAIStandin();
  const store = options.store ?? (await pgliteStore());
  // DATA_DIR holds the outage journal (src/journal): each harness its own, never the checkout's ./.data.
  const dataDir = env.DATA_DIR ? undefined : mkdtempSync(join(tmpdir(), 'harness-data-'));
  const config = loadConfig({
    ...(dataDir ? { DATA_DIR: dataDir } : {}),
    SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl,
    OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL, PORT: '0', MODEL_TIMEOUT_MS: '8000', ...env,
  });
  const app = await startApp(config, {
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    store,
    slackClientOptions: { retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 50 }, rejectRateLimitedCalls: false },
  });
  const url = `http://127.0.0.1:${app.port}`;
  return {
    // The store the app serves from (the opened one behind the outage wrapper): a test that patches a domain
    // method, to slow the database down say, patches what the app calls.
    app, slack, openai, store: app.store, url,
    send: (payload, opts) => postEvent(`${url}/slack/events`, SIGNING_SECRET, payload, opts),
    async settled() {
      const deadline = Date.now() + 15_000;
      while (app.orchestrator.activeRuns > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
    async close() {
      await app.stop();
      await Promise.all([slack.close(), openai.close()]);
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until fn returns a truthy value (or throws after timeoutMs). */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
