import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { askAndWait, slash } from '../commands/slack-helpers.js';
import { mentionEvent, threadReplyEvent } from '../fakes/slack-events.js';
import { eventually, type Harness } from '../support/harness.js';
import { findPostgresBinaries, type PostgresServer } from '../support/postgres-server.js';
import { answersIn, appOnOwnPostgres } from './support.js';

// The database goes away mid-conversation and comes back: the whole app on a real PostgreSQL server that this test
// stops (an immediate shutdown, as a crash would) and starts again, driven through signed Slack HTTP requests.
// During the outage mentions are answered and journaled to DATA_DIR/journal, a Slack redelivery is answered once,
// a slash command that needs the database says so, /health is degraded with the backlog; when the server is back
// the journal is replayed and every run is in the run log exactly once with its steps, and /health is ok again.

let server: PostgresServer;
let h: Harness;
let dataDir: string;

const health = async () => (await fetch(`${h.url}/health`)).json() as Promise<Record<string, any>>;
const metricValue = async (name: string): Promise<number | null> => {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : null;
};
const answersTo = (ts: string) => answersIn(h, ts);

describe.skipIf(!findPostgresBinaries())('database outage mid-conversation (PostgreSQL server stopped and restarted)', () => {
  let app: Awaited<ReturnType<typeof appOnOwnPostgres>>;
  beforeAll(async () => {
    app = await appOnOwnPostgres('outage-');
    ({ server, h, dataDir } = app);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  test('answers from the journal, refuses what needs the database, replays exactly once when it is back', async () => {
    // Before: an ordinary answer, written live.
    const before = await askAndWait(h, 'What is a good agenda for a retro?');
    expect(before.run.status).toBe('succeeded');
    expect(await health()).toMatchObject({ status: 'ok', checks: { store: true } });

    // A user whose budget is used up (seen by a live request just before the outage) stays refused during it.
    await h.store.budgets.set({ scope: 'user', scopeId: 'U3', period: 'daily', limitUsd: 0.01, action: 'refuse' });
    h.openai.setResponder((req) => ({ text: `Answer: ${req.lastUserMessage.slice(0, 80)}`, usage: { prompt_tokens: 100_000, completion_tokens: 10_000 } })); // $0.056 on gpt-4.1-mini
    await askAndWait(h, 'A first question within the budget', { user: 'U3' });
    h.openai.reset();
    const overLive = mentionEvent({ text: 'A second question over the budget', user: 'U3', channel: 'C1' });
    await h.send(overLive);
    await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === overLive.event.ts && /is used up/.test(m.text ?? '')));
    await h.settled();

    server.halt();

    const overDown = mentionEvent({ text: 'A third question during the outage', user: 'U3', channel: 'C1' });
    await h.send(overDown);
    await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === overDown.event.ts && /is used up/.test(m.text ?? '')), 15_000);

    // A mention during the outage: answered by the model from the last-known general specialist.
    const first = mentionEvent({ text: 'Summarize the last release notes please', user: 'U1', channel: 'C1' });
    expect((await h.send(first)).status).toBe(200);
    await eventually(() => answersTo(first.event.ts).length === 1, 15_000);
    // Slack redelivers it (as after a slow ack): the database dedupe is gone, the in-memory one answers it once.
    expect((await h.send(first, { retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
    const second = mentionEvent({ text: 'And draft a short thank-you note to the team', user: 'U2', channel: 'C1' });
    await h.send(second);
    await eventually(() => answersTo(second.event.ts).length === 1, 15_000);
    await h.settled();
    expect(answersTo(first.event.ts)).toHaveLength(1);
    expect(answersTo(first.event.ts)[0].text ?? JSON.stringify(answersTo(first.event.ts)[0].blocks)).toContain('Summarize the last release notes');

    // A follow-up in the thread the bot answered during the outage (no mention): known from the journal, answered.
    const followUp = threadReplyEvent({ text: 'Make it shorter', user: 'U1', channel: 'C1', thread_ts: first.event.ts });
    await h.send(followUp);
    await eventually(() => answersTo(first.event.ts).length === 2, 15_000);
    // A goal needs the database (its task graph and progress live there): the user is told, and gets a direct answer.
    const goal = mentionEvent({ text: 'plan: research competitors, then draft the announcement', user: 'U2', channel: 'C1' });
    await h.send(goal);
    await eventually(() => answersTo(goal.event.ts).length === 1, 15_000);
    expect(h.slack.messages('C1').some((m) => m.thread_ts === goal.event.ts && /database is unreachable right now, so I can't run this as a planned goal/.test(m.text ?? ''))).toBe(true);
    await h.settled();

    // A command that needs the database says so, and what still works.
    const cmd = await slash(h, '/workflows', '');
    expect(cmd.status).toBe(200);
    const reply = (await cmd.reply()).body.text as string;
    expect(reply).toMatch(/\/workflows needs my database, which I can't reach right now, so nothing was done\. Questions in chat still get answers/);

    // /health: degraded (200: answers flow), with the backlog.
    const degraded = await eventually(async () => { const b = await health(); return b.status === 'degraded' ? b : null; });
    expect(degraded.checks.store).toBe('degraded');
    expect(degraded.outage.store.reachable).toBe(false);
    expect(degraded.outage.journal.runs).toBeGreaterThanOrEqual(5); // three mentions, the follow-up and the command
    expect(degraded.outage.journal.records).toBeGreaterThan(degraded.outage.journal.runs);
    expect(degraded.outage.journal.bytes).toBeGreaterThan(0);
    expect(degraded.outage.journal.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(await metricValue('improver_journal_backlog_runs')).toBe(degraded.outage.journal.runs);
    expect((await fetch(`${h.url}/health`)).status).toBe(200);
    // The runs are on disk (DATA_DIR/journal/<slot>/seg-*.jsonl), not in memory only.
    const slot = join(dataDir, 'journal', '0');
    expect(readdirSync(slot).filter((f) => f.startsWith('seg-')).length).toBeGreaterThanOrEqual(1);

    server.resume();

    // The flusher notices within a second or so, replays, and /health is ok again with nothing waiting.
    const ok = await eventually(async () => { const b = await health(); return b.status === 'ok' && b.outage.journal.records === 0 ? b : null; }, 20_000);
    expect(ok.checks.store).toBe(true);
    expect(await metricValue('improver_journal_backlog_runs')).toBe(0);

    for (const event of [first, second, followUp, goal]) {
      const runs = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
      expect(runs).toHaveLength(1);
      const run = (await h.store.runs.get(runs[0]!.id))!;
      expect(run).toMatchObject({ status: 'succeeded', delivered: true, requestText: event.event.text.replace(/^<@\w+>\s*/, '') });
      expect(run.steps.filter((s) => s.kind === 'model').length).toBeGreaterThanOrEqual(1);
      expect(run.steps.map((s) => s.seq)).toEqual(run.steps.map((_, i) => i + 1));
      expect(run.tokensIn).toBeGreaterThan(0);
    }
    expect(readdirSync(slot).filter((f) => f.startsWith('seg-'))).toEqual([]);
    // Replayed, not written live: the rows carry journaled_at; the run from before the outage does not.
    const sql = new pg.Client({ connectionString: server.url });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ event_id: string; journaled: boolean; n: string }>(
        'select event_id, journaled_at is not null as journaled, count(*) over (partition by event_id) as n from runs where event_id = any($1)',
        [[before.event.event_id, first.event_id, second.event_id, followUp.event_id, goal.event_id]]);
      expect(Object.fromEntries(rows.map((r) => [r.event_id, [r.journaled, Number(r.n)]]))).toEqual({
        [before.event.event_id]: [false, 1], [first.event_id]: [true, 1], [second.event_id]: [true, 1], [followUp.event_id]: [true, 1], [goal.event_id]: [true, 1],
      });
    } finally {
      await sql.end();
    }
    // A later question goes to the database directly again.
    const after = await askAndWait(h, 'One more question after the outage');
    expect(after.run.status).toBe('succeeded');
  }, 90_000);
});
