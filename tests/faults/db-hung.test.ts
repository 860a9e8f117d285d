import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { askAndWait } from '../commands/slack-helpers.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, type Harness } from '../support/harness.js';
import { findPostgresBinaries, type PostgresServer } from '../support/postgres-server.js';
import { answersIn, appOnOwnPostgres } from './support.js';

// A database that hangs instead of refusing: the PostgreSQL server's processes are SIGSTOPped, so pooled
// connections stay open and new ones are accepted by the kernel, and nothing answers. Without a deadline on the
// run's claim the request waited forever (measured: no answer after 40 s). With it, the request is answered from
// the journal; when the server resumes, the late claim is closed as cancelled and the journal replayed.

let server: PostgresServer;
let h: Harness;
let dataDir: string;
const answersTo = (ts: string) => answersIn(h, ts);

describe.skipIf(!findPostgresBinaries())('a hung database (server processes stopped)', () => {
  let app: Awaited<ReturnType<typeof appOnOwnPostgres>>;
  beforeAll(async () => {
    app = await appOnOwnPostgres('outage-hung-');
    ({ server, h, dataDir } = app);
  }, 60_000);
  afterAll(async () => {
    server?.thaw(); // a failed test may leave it frozen
    await app?.close();
  });

  test('the claim gives up after its deadline, the request is answered, the late run is closed and the journal replayed', async () => {
    await askAndWait(h, 'What is a good agenda for a retro?');
    server.freeze();
    let event: ReturnType<typeof mentionEvent>;
    let answeredMs: number;
    try {
      event = mentionEvent({ text: 'Summarize the last release notes please', user: 'U1', channel: 'C1' });
      const sent = Date.now();
      await h.send(event);
      await eventually(() => answersTo(event.event.ts).length === 1, 20_000);
      answeredMs = Date.now() - sent;
    } finally {
      server.thaw();
    }
    // The 5 s deadline, and a little: not the 40 s+ of before.
    expect(answeredMs).toBeGreaterThanOrEqual(5000);
    expect(answeredMs).toBeLessThan(12_000);
    await eventually(async () => {
      const b = await (await fetch(`${h.url}/health`)).json() as { status: string; outage: { journal: { records: number } } };
      return b.status === 'ok' && b.outage.journal.records === 0;
    }, 30_000);
    const sql = new pg.Client({ connectionString: server.url });
    await sql.connect();
    try {
      // One answered run (the journaled one, with its steps); the late claim closed as cancelled, with no steps.
      const { rows } = await eventually(async () => {
        const r = await sql.query<{ id: string; status: string; journaled: boolean; duplicate_of: string | null; steps: number }>(
          `select id, status, journaled_at is not null as journaled, duplicate_of, step_count as steps from runs
            where request_text = $1 order by started_at`, [event!.event.text.replace(/^<@\w+>\s*/, '')]);
        return r.rows.length === 2 && r.rows.every((x) => x.status !== "running") ? r : null;
      }, 15_000);
      const cancelled = rows.find((r) => !r.journaled)!;
      const answered = rows.find((r) => r.journaled)!;
      expect(cancelled).toMatchObject({ status: 'cancelled', steps: 0, duplicate_of: null });
      expect(answered).toMatchObject({ status: 'succeeded', duplicate_of: cancelled.id });
      expect(answered.steps).toBeGreaterThanOrEqual(1);
    } finally {
      await sql.end();
    }
    expect(answersTo(event!.event.ts)).toHaveLength(1);
  }, 90_000);
});
