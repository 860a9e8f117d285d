import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  eventCallback, mentionEvent, newEventId, newTriggerId, nextMessageTs, postInteraction, signRequest,
} from '../fakes/slack-events.js';
import { eventually, SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';
import { botMessages, capturedLogs, endedRun, SECRETS } from './support.js';

// Fault suite, part 1: what reaches the app over signed HTTP (forgeries, redeliveries, malformed payloads) and
// what the Slack Web API answers it (429, 5xx). One app for the file; every line it logs is kept and, at the
// end, checked for secrets.
const logs = capturedLogs();
let h: Harness;
beforeAll(async () => { h = await startHarness({ ...SECRETS, SLACK_STREAMING: 'off' }, { logger: logs.logger }); });
afterAll(async () => { await h?.close(); });
beforeEach(() => { h.openai.reset(); });

const events = (h: Harness) => `${h.url}/slack/events`;

/** Posts a raw body with the given headers (for requests the signed helpers cannot express). */
const rawPost = (body: string, headers: Record<string, string>) =>
  fetch(events(h), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('requests that are not from Slack: 401, no database write, no model call', () => {
  const now = () => Math.floor(Date.now() / 1000);
  test.each([
    ['a forged signature (wrong secret)', (body: string) => signRequest(`${SIGNING_SECRET}-forged`, body)],
    ['a stale timestamp (6 minutes old)', (body: string) => signRequest(SIGNING_SECRET, body, now() - 360)],
    ['a future timestamp (6 minutes ahead)', (body: string) => signRequest(SIGNING_SECRET, body, now() + 360)],
    ['one byte of the body changed after signing', (body: string) => signRequest(SIGNING_SECRET, body.replace('hello', 'hellp'))],
    ['no signature headers at all', () => ({})],
  ])('%s', async (_name, headersFor) => {
    const event = mentionEvent({ text: 'hello, who am I talking to?', user: 'U1' });
    const body = JSON.stringify(event);
    const response = await rawPost(body, headersFor(body) as Record<string, string>);
    expect(response.status).toBe(401);
    // A 401 is the verdict: nothing past verification ran, so there is nothing to wait for.
    expect(h.openai.requests).toHaveLength(0);
    expect(await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id })).toEqual([]);
    expect(h.slack.calls.filter((c) => c.args.thread_ts === event.event.ts)).toEqual([]);
  });
});

describe('redeliveries are answered once', () => {
  test.each([
    ['the same event 4× with retry headers, after the answer', async (event: any) => {
      await h.send(event);
      await eventually(() => botMessages(h, 'C1', event.event.ts).length > 0);
      for (const retryNum of [1, 2, 3]) expect((await h.send(event, { retryNum, retryReason: 'http_timeout' })).status).toBe(200);
      // Each one is visible to the operator: one line per redelivery, with Slack's retry number and reason.
      const redeliveries = () => logs.records().filter((r) => r.eventId === event.event_id && /^redelivery not answered again/.test(r.msg));
      await eventually(() => redeliveries().length === 3);
      // Acknowledged first and processed after, so the three may finish in any order.
      expect(redeliveries().map((r) => [r.retryNum, r.retryReason, typeof r.runId]).sort((x, y) => x[0] - y[0])).toEqual([
        [1, 'http_timeout', 'string'], [2, 'http_timeout', 'string'], [3, 'http_timeout', 'string']]);
    }],
    ['a retry while the first delivery is still being answered', async (event: any) => {
      h.openai.setLatency(500);
      await h.send(event);
      await eventually(() => h.openai.inFlight > 0);
      expect((await h.send(event, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    }],
    ['app_mention and message events for one message', async (event: any) => {
      const asMessage = eventCallback({ ...event.event, type: 'message', channel_type: 'channel' }, { eventId: newEventId() });
      await Promise.all([h.send(event), h.send(asMessage)]);
    }],
  ])('%s', async (_name, deliver) => {
    const event = mentionEvent({ text: `summarize the plan ${nextMessageTs()}`, user: 'U1' });
    await deliver(event);
    await eventually(() => endedRun(h, event.event_id));
    await h.settled();
    expect(botMessages(h, 'C1', event.event.ts)).toHaveLength(1);
    expect(h.openai.requests).toHaveLength(1);
    expect(await h.store.runs.find({ workspaceId: 'T1', channelId: 'C1', messageTs: event.event.ts })).toHaveLength(1);
  });
});

test('a listener that throws (a malformed click: no user) costs that request only: 500, an error line, answers go on', async () => {
  const response = await postInteraction(events(h), SIGNING_SECRET, {
    type: 'block_actions', team: { id: 'T1' }, api_app_id: 'A1', token: 't', trigger_id: newTriggerId(),
    actions: [{ type: 'button', action_id: 'feedback_up', block_id: 'feedback', value: 'run-1', action_ts: String(Date.now() / 1000) }],
  });
  expect(response.status).toBe(500);
  expect(logs.records()).toContainEqual(expect.objectContaining({ level: 50, component: 'bolt', msg: expect.stringMatching(/unhandled error/) }));
  const event = mentionEvent({ text: 'still there?', user: 'U2' });
  await h.send(event);
  await eventually(() => botMessages(h, 'C1', event.event.ts).some((m) => /Answer:/.test(m.text)));
});

describe('the Slack Web API fails: each retry is logged once with method, status and attempt', () => {
  const retryLines = (method: string) => logs.records().filter((r) => r.component === 'slack-api' && r.method === method);

  test('429 with Retry-After: the client waits as asked, then the answer lands', async () => {
    const before = retryLines('chat.update').length;
    h.slack.failNext('chat.update', { status: 429, retryAfterSeconds: 1 });
    const event = mentionEvent({ text: 'rate limited slack', user: 'U1' });
    await h.send(event);
    const run = await eventually(() => endedRun(h, event.event_id));
    expect(run).toMatchObject({ status: 'succeeded', delivered: true });
    const [limited, answered] = h.slack.callsTo('chat.update').filter((c) => c.args.channel === 'C1').slice(-2);
    expect(limited!.status).toBe(429);
    expect(answered!.at - limited!.at).toBeGreaterThanOrEqual(950);
    expect(retryLines('chat.update').slice(before)).toEqual([
      expect.objectContaining({ level: 40, status: 429, retryAfterSeconds: 1, attempt: 1, retrying: true }),
    ]);
  });

  test('503 twice, then 200: delivered on the third attempt; two lines, attempts 1 and 2', async () => {
    const before = retryLines('chat.update').length;
    h.slack.failNext('chat.update', { status: 503 }, 2);
    const event = mentionEvent({ text: 'slack is flaky', user: 'U1' });
    await h.send(event);
    expect(await eventually(() => endedRun(h, event.event_id))).toMatchObject({ status: 'succeeded', delivered: true });
    expect(botMessages(h, 'C1', event.event.ts).map((m) => m.text)).toEqual([expect.stringMatching(/Answer: slack is flaky/)]);
    expect(retryLines('chat.update').slice(before).map((r) => [r.status, r.attempt, r.retrying])).toEqual([[503, 1, true], [503, 2, true]]);
  });

  test('5xx on every attempt: the answer is recorded as not delivered, the give-up is logged, the next one is answered', async () => {
    const before = retryLines('chat.update').length;
    h.slack.failNext('chat.update', { status: 500 }, 3); // the harness's client makes 1 + 2 attempts
    const event = mentionEvent({ text: 'slack is down', user: 'U1' });
    await h.send(event);
    expect(await eventually(() => endedRun(h, event.event_id))).toMatchObject({ status: 'succeeded', delivered: false });
    expect(retryLines('chat.update').slice(before).map((r) => [r.level, r.status, r.attempt, r.retrying]))
      .toEqual([[40, 500, 1, true], [40, 500, 2, true], [50, 500, 3, false]]);
    const next = mentionEvent({ text: 'and now?', user: 'U1' });
    await h.send(next);
    expect(await eventually(() => endedRun(h, next.event_id))).toMatchObject({ status: 'succeeded', delivered: true });
  });
});

test('secrets never reach the logs: tokens, signing secret and API key, whatever failed above', async () => {
  // One more failure that echoes credentials in practice: the model provider refusing the key.
  h.openai.enqueue({ error: { status: 401, code: 'invalid_api_key' } });
  const event = mentionEvent({ text: 'does my key work?', user: 'U1' });
  await h.send(event);
  expect(await eventually(() => endedRun(h, event.event_id))).toMatchObject({ errorClass: 'MODEL_AUTH_FAILED' });
  await h.settled();
  const all = logs.lines.join('\n');
  expect(logs.lines.length).toBeGreaterThan(100); // debug level: request lines, Bolt's lines, every run
  for (const secret of [SECRETS.SLACK_BOT_TOKEN, SECRETS.OPENAI_API_KEY, SIGNING_SECRET]) expect(all).not.toContain(secret);
  expect(all).not.toMatch(/xoxb-[\w-]{6,}|\bsk-[\w-]{8,}/);
});
