import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { startSocketModeStandin, type SocketModeStandin } from '../fakes/slack-socket-standin.js';
import { startSlackStandin, type SlackStandin } from '../fakes/slack-standin.js';
import { eventually } from '../support/harness.js';
import { pgliteStore } from '../support/stores.js';

// Socket Mode: apps.connections.open → a WebSocket on 127.0.0.1 → events_api envelopes, acked, answered.
let slack: SlackStandin;
let socket: SocketModeStandin;
let openai: OpenAIStandin;
let app: RunningApp;
beforeAll(async () => {
  slack = await startSlackStandin();
  slack.addChannel({ id: 'C1', name: 'general', members: ['U1', slack.botUserId] });
  socket = await startSocketModeStandin(slack);
  openai = await startOpenAIStandin();
  const config = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-test', SLACK_API_URL: slack.apiUrl, SLACK_STREAMING: 'off',
    OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL, PORT: '0',
  });
  app = await startApp(config, { logger: pino({ level: 'silent' }), store: await pgliteStore(),
    slackClientOptions: { retryConfig: { retries: 1, minTimeout: 10, maxTimeout: 50 } } });
  await socket.waitForConnection();
});
afterAll(async () => {
  await app?.stop();
  await socket?.close();
  await Promise.all([slack?.close(), openai?.close()]);
});

test('an events_api envelope is acked and the mention answered in its thread; /health is served', async () => {
  const event = mentionEvent({ text: 'hello over the socket', user: 'U1', channel: 'C1' });
  const ack = await socket.deliver({ type: 'events_api', payload: event });
  expect(ack.envelope_id).toBeTruthy();
  await eventually(() => slack.messages('C1').some((m) => m.thread_ts === event.event.ts && /Answer:/.test(m.text ?? '')));
  expect(openai.requests).toHaveLength(1);
  const health = await fetch(`http://127.0.0.1:${app.port}/health`);
  expect(health.status).toBe(200);
});

test('a redelivered envelope (retry_attempt 1) is acked and not answered twice', async () => {
  const event = mentionEvent({ text: 'once only', user: 'U1', channel: 'C1' });
  await socket.deliver({ type: 'events_api', payload: event });
  await socket.deliver({ type: 'events_api', payload: event, retry_attempt: 1, retry_reason: 'timeout' });
  await eventually(() => slack.messages('C1').some((m) => m.thread_ts === event.event.ts && /Answer:/.test(m.text ?? '')));
  await new Promise((r) => setTimeout(r, 300));
  expect(slack.messages('C1').filter((m) => m.thread_ts === event.event.ts && m.bot_id)).toHaveLength(1);
});
