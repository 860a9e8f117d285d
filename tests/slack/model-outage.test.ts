import { afterAll, beforeAll, expect, test } from 'vitest';
import { AppError } from '../../src/errors.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// A model that rate-limits every request: the user gets a clear message within the request deadline, the run
// is recorded as failed with its error class, and the first request after the outage is answered.
let h: Harness;
const DEADLINE_MS = 3000;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', MODEL_TIMEOUT_MS: String(DEADLINE_MS), MODEL_MAX_RETRIES: '10' }); });
afterAll(async () => { await h?.close(); });

test('persistent 429: a clear message within the deadline, then recovery', async () => {
  h.openai.setResponder(() => ({ error: { status: 429, code: 'rate_limit_exceeded', retryAfterSeconds: 1 } }));
  const event = mentionEvent({ text: 'are you overloaded?', user: 'U1', channel: 'C1' });
  const sentAt = Date.now();
  await h.send(event);
  const notice = await eventually(() => h.slack.messages('C1').find((m) => m.thread_ts === event.event.ts && /rate|busy|try again/i.test(m.text ?? '')), 10_000);
  const noticeAt = h.slack.calls.find((c) => JSON.stringify(c.args).includes(notice.text.slice(0, 30)))!.at;
  expect(noticeAt - sentAt).toBeLessThan(DEADLINE_MS + 1500);
  expect(h.openai.requests.length).toBeGreaterThan(1); // retried, with backoff, inside the deadline
  const run = await eventually(async () => {
    const [r] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
    return r && r.status !== 'running' ? r : null;
  });
  expect(run).toMatchObject({ status: 'failed', errorClass: expect.stringMatching(/MODEL_RATE_LIMITED|MODEL_TIMEOUT/) });

  h.openai.reset();
  const next = mentionEvent({ text: 'better now?', user: 'U1', channel: 'C1' });
  await h.send(next);
  await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === next.event.ts && /Answer:/.test(m.text ?? '')));
});

// The database outage itself is tests/faults/db-outage.test.ts (a real server stopped); here only what a store that
// stops answering looks like from /health and from a message, on the embedded database.
test('/health is 200 "degraded" when the store does not answer and the journal takes the runs', async () => {
  // The app's own store (its transport has the outage breaker in front of the harness's store).
  const appStore = h.app.store;
  const ping = appStore.ping.bind(appStore);
  appStore.ping = async () => false;
  try {
    const response = await fetch(`${h.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'degraded', checks: { store: 'degraded' }, outage: { state: 'degraded', store: { reachable: false } } });
  } finally {
    appStore.ping = ping;
  }
  // The flusher's next probe finds it back.
  await eventually(async () => ((await (await fetch(`${h.url}/health`)).json()) as { status: string }).status === 'ok');
});

test('the database is unreachable when a message arrives: answered anyway, the run journaled and replayed once', async () => {
  const appRuns = h.app.store.runs;
  const start = appRuns.start.bind(appRuns);
  let refused = 0;
  appRuns.start = async () => { refused++; throw new AppError('STORE_UNAVAILABLE', 'connection refused'); };
  const event = mentionEvent({ text: 'anyone home?', user: 'U1', channel: 'C1' });
  try {
    expect((await h.send(event)).status).toBe(200);
    await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === event.event.ts && /Answer:/.test(m.text ?? '')));
    expect(refused).toBe(1);
  } finally {
    appRuns.start = start;
  }
  const runs = await eventually(async () => { const r = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id }); return r.length ? r : null; });
  expect(runs).toHaveLength(1);
  expect(runs[0]).toMatchObject({ status: 'succeeded' });
  const next = mentionEvent({ text: 'and now?', user: 'U1', channel: 'C1' });
  await h.send(next);
  await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === next.event.ts && /Answer:/.test(m.text ?? '')));
});
