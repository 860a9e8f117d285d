import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { createTestDatabase, postgresAvailable, postgresStore } from '../support/stores.js';
import { botMessages } from './support.js';

// Fault suite, part 5: two instances of the app on one PostgreSQL database, as behind a load balancer. Slack may
// deliver one event to either (a retry lands on the other one), or both at once; the run log's claim decides, so
// it is answered once. Each instance has its own Slack stand-in here: what both posted together is what the
// workspace would show.
let a: Harness;
let b: Harness;

describe.skipIf(!postgresAvailable())('two instances on one Postgres', () => {
  beforeAll(async () => {
    const url = await createTestDatabase();
    const env = { SLACK_STREAMING: 'off' };
    a = await startHarness(env, { store: await postgresStore(url) });
    b = await startHarness(env, { store: await postgresStore(url) });
    for (const h of [a, b]) h.openai.setLatency(150);
  });
  afterAll(async () => { await Promise.all([a?.close(), b?.close()]); });

  const answersTo = (event: ReturnType<typeof mentionEvent>) =>
    [a, b].flatMap((h) => botMessages(h, event.event.channel, event.event.ts).filter((m) => /Answer/.test(m.text)));

  test('the same event delivered to both at once, and its retry to the other one later: one answer, one run', async () => {
    const event = mentionEvent({ text: 'what is our parental leave policy?', user: 'U1', channel: 'C1' });
    const [first, second] = await Promise.all([a.send(event), b.send(event)]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await eventually(() => answersTo(event).length > 0);
    await Promise.all([a.settled(), b.settled()]);
    const retry = await b.send(event, { retryNum: 1, retryReason: 'http_timeout' });
    expect(retry.status).toBe(200);
    await Promise.all([a.settled(), b.settled()]);

    expect(answersTo(event)).toHaveLength(1);
    const runs = await a.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded' });
    const modelCalls = [a, b].reduce((n, h) => n + h.openai.requests.length, 0);
    expect(modelCalls).toBe(1); // the loser of the claim never called the model
  });

  test('twenty different events spread over both: each answered once, by one of them', async () => {
    const events = Array.from({ length: 20 }, (_, i) => mentionEvent({ text: `question ${i} about the travel policy`, user: i % 2 ? 'U1' : 'U2', channel: 'C1' }));
    // Every event to both instances (the worst case a load balancer with retries can make).
    await Promise.all(events.flatMap((e) => [a.send(e), b.send(e)]));
    await eventually(() => events.every((e) => answersTo(e).length > 0), 30_000);
    await Promise.all([a.settled(), b.settled()]);
    for (const e of events) expect(answersTo(e)).toHaveLength(1);
    const answeredBy = events.map((e) => (botMessages(a, 'C1', e.event.ts).length > 0 ? 'a' : 'b'));
    expect(new Set(answeredBy).size).toBe(2); // both instances did work: the claim spreads it, it does not pin it
  });
});
