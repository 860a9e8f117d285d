import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { askAndWait } from '../commands/slack-helpers.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, type Harness } from '../support/harness.js';
import { findPostgresBinaries, type PostgresServer } from '../support/postgres-server.js';
import { answersIn, appOnOwnPostgres } from './support.js';

// The outage, at its length: the PostgreSQL server is down for 60 s (stopped at once, as a crash would) while
// people keep asking — one mention every 5 s from a different person, one of them redelivered by Slack. Every one is
// answered during the outage, and once the server is back every outage-time run is in the run log exactly once,
// with its steps. The 60 s are the scenario itself (the journal must hold across them), not an idle wait.
const OUTAGE_MS = 60_000;
const EVERY_MS = 5_000;

let server: PostgresServer;
let h: Harness;

describe.skipIf(!findPostgresBinaries())('a 60 s database outage', () => {
  let app: Awaited<ReturnType<typeof appOnOwnPostgres>>;
  beforeAll(async () => {
    app = await appOnOwnPostgres('outage-60s-');
    ({ server, h } = app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  test('answers keep flowing for 60 s, and the run log afterwards has every outage-time run exactly once', async () => {
    expect((await askAndWait(h, 'A question before the outage')).run.status).toBe('succeeded');
    await h.settled();
    const down = Date.now();
    server.halt();
    const sent: Array<ReturnType<typeof mentionEvent>> = [];
    for (let i = 0; Date.now() - down < OUTAGE_MS - EVERY_MS; i++) {
      const event = mentionEvent({ text: `Outage question ${i}: what should I check first?`, user: `U${10 + i}`, channel: 'C1' });
      expect((await h.send(event)).status).toBe(200);
      sent.push(event);
      await eventually(() => answersIn(h, event.event.ts).length === 1, 15_000);
      if (i === 3) expect((await h.send(event, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, down + (i + 1) * EVERY_MS - Date.now())));
    }
    await h.settled();
    expect(Date.now() - down).toBeGreaterThanOrEqual(OUTAGE_MS - EVERY_MS);
    expect(((await (await fetch(`${h.url}/health`)).json()) as { status: string }).status).toBe('degraded');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, down + OUTAGE_MS - Date.now())));
    server.resume();

    await eventually(async () => {
      const body = await (await fetch(`${h.url}/health`)).json() as { status: string; outage: { journal: { records: number } } };
      return body.status === 'ok' && body.outage.journal.records === 0;
    }, 30_000);
    expect(sent.length).toBeGreaterThanOrEqual(10);
    for (const event of sent) {
      expect(answersIn(h, event.event.ts)).toHaveLength(1); // the redelivery was not answered again
      const runs = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
      expect(runs).toHaveLength(1);
      const run = (await h.store.runs.get(runs[0]!.id))!;
      expect(run).toMatchObject({ status: 'succeeded', delivered: true });
      expect(run.steps.filter((s) => s.kind === 'model')).toHaveLength(1);
    }
    expect((await askAndWait(h, 'A question after the outage')).run.status).toBe('succeeded');
  }, 150_000);
});
