import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { JournalFiles, type JournalSettings } from '../../src/journal/journal-files.js';
import { JournalFlusher } from '../../src/journal/journal-flusher.js';
import type { JournaledRunStore } from '../../src/journal/journaled-runs.js';
import type { StoreReachability } from '../../src/outage/reachability.js';
import { RunReplayStore } from '../../src/store/journal-replay.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';
import { findPostgresBinaries, startPostgresServer } from '../support/postgres-server.js';
import { pgliteStore } from '../support/stores.js';
import { capturingLogger, downJournal, journalConversation } from './journal-fixtures.js';

// The outage journal on real files, replayed into a real database (PGlite; a PostgreSQL server for the outage
// in the middle of a flush). Each conversation journals 6 records: start, serving, 2 steps, answer, finish.
const RECORDS_PER_CONVERSATION = 6;
const silent = pino({ level: 'silent' });
const execFileAsync = promisify(execFile);

let dir: string;
let settings: JournalSettings;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-'));
  settings = { dir: join(dir, 'journal'), maxBytes: 10 * 1024 * 1024, maxAgeMs: 24 * 3_600_000 };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function flusherFor(files: JournalFiles, store: Store, reach: StoreReachability, runs?: JournaledRunStore, replay = new RunReplayStore(store.transport)) {
  return new JournalFlusher({ files, replay, ping: () => store.ping(), reach, onReplayed: (ids) => runs?.replayed(ids), logger: silent });
}

const segmentsIn = (slot: string) => readdirSync(slot).filter((f) => f.startsWith('seg-')).sort();

async function runOf(store: Store, eventId: string) {
  const runs = await store.runs.find({ workspaceId: 'T1', eventId });
  return { count: runs.length, run: runs[0] ? await store.runs.get(runs[0].id) : null };
}

describe('flush', () => {
  test('journaled runs are replayed with their steps, once; the same records replayed again (a crash between replay and delete) change nothing', async () => {
    const store = await pgliteStore();
    const { files, reach, runs } = downJournal(settings, silent);
    for (let i = 1; i <= 3; i++) await journalConversation(runs, i);
    await files.seal();
    const slot = files.slotDir!;
    const saved = segmentsIn(slot).map((name) => ({ name, text: readFileSync(join(slot, name), 'utf8') }));
    expect(files.backlog()).toMatchObject({ runs: 3, records: 3 * RECORDS_PER_CONVERSATION });

    const report = await flusherFor(files, store, reach, runs).tick();
    expect(report).toMatchObject({ segments: 1, applied: 18, skipped: 0, rejected: 0, orphaned: 0 });
    expect(reach.down).toBe(false);
    expect(files.backlog()).toMatchObject({ runs: 0, records: 0, bytes: 0 });
    expect(segmentsIn(slot)).toEqual([]);
    const { count, run } = await runOf(store, 'Ev2');
    expect(count).toBe(1);
    expect(run).toMatchObject({
      status: 'succeeded', requestText: 'question 2', route: 'agent', delivered: true, answerTs: '1700000001.2', tokensIn: 102, tokensOut: 20,
      agentVersions: [{ agentId: 'general', version: 1 }], models: ['gpt-4o-mini'],
    });
    expect(run!.costUsd).toBeCloseTo(0.0001, 8);
    expect(run!.steps.map((s) => [s.seq, s.kind])).toEqual([[1, 'router'], [2, 'model']]);

    // The process died after the replay's commit and before the segment's deletion: the same file is found again.
    await files.close();
    for (const s of saved) writeFileSync(join(slot, s.name), s.text);
    const again = new JournalFiles(settings, silent);
    expect(await again.adoptLeftovers()).toBe(18);
    const second = await flusherFor(again, store, reach).tick();
    // Starts and steps are keyed (run id, journal record id) and skipped; serving, answer and finish are updates.
    expect(second).toMatchObject({ segments: 1, skipped: 9, applied: 9, rejected: 0 });
    for (const eventId of ['Ev1', 'Ev2', 'Ev3']) {
      const { count: n, run: r } = await runOf(store, eventId);
      expect(n).toBe(1);
      expect(r!.steps).toHaveLength(2);
    }
    expect((await runOf(store, 'Ev2')).run).toMatchObject({ tokensIn: 102, status: 'succeeded' });
    await again.close();
    await store.close();
  });

  test.skipIf(!findPostgresBinaries())('the database lost in the middle of a flush: the next pass finishes it and nothing doubles', async () => {
    const server = (await startPostgresServer())!;
    try {
      await migrate(openPostgres(server.url, { max: 1 }));
      const store = new Store(new SqlTransport('postgres', openPostgres(server.url, { max: 2, connectionTimeoutMillis: 1000 }), classifySqlError));
      const { files, reach, runs } = downJournal(settings, silent);
      for (let i = 1; i <= 25; i++) await journalConversation(runs, i); // 150 records: two replay batches of up to 100
      const real = new RunReplayStore(store.transport);
      let calls = 0;
      // The server stops (immediate shutdown) right after the first batch committed.
      const replay = { replay: async (rows: Parameters<RunReplayStore['replay']>[0]) => {
        const result = await real.replay(rows);
        if (++calls === 1) server.halt();
        return result;
      } };
      const flusher = flusherFor(files, store, reach, runs, replay as RunReplayStore);
      const first = await flusher.tick();
      expect(first).toMatchObject({ segments: 0, applied: 100 });
      expect(reach.down).toBe(true);
      expect(files.backlog().records).toBe(150);

      expect(await flusher.tick()).toBeNull(); // still down: nothing tried
      server.resume();
      const second = await flusher.tick();
      expect(second).toMatchObject({ segments: 1, rejected: 0 });
      // Every record is applied or found already there. (This server runs with synchronous_commit=off, so an
      // immediate stop may lose its last commits: the first batch is then applied again, not skipped.)
      expect(second!.applied + second!.skipped).toBe(150);
      expect(files.backlog().records).toBe(0);
      const sql = openPostgres(server.url, { max: 1 });
      const rows = await sql.query<{ runs: string; steps: string; per_run: string }>(
        `select count(distinct r.id) as runs, count(s.id) as steps, max(c.n) as per_run
           from runs r join run_steps s on s.run_id = r.id
           join (select event_id, count(*) as n from runs group by event_id) c on c.event_id = r.event_id
          where r.workspace_id = 'T1'`);
      expect(rows[0]).toMatchObject({ runs: '25', steps: '50', per_run: '1' });
      await sql.close();
      await files.close();
      await store.close();
    } finally {
      server.stop();
    }
  }, 60_000);
});

describe('bounds', () => {
  test('past JOURNAL_MAX_MB the oldest segments are dropped with a logged count; replay skips what lost its start', async () => {
    const { logger, lines } = capturingLogger();
    const { files, reach, runs } = downJournal({ ...settings, maxBytes: 8000, segmentBytes: 1500 }, logger);
    const ids: string[] = [];
    for (let i = 1; i <= 30; i++) ids.push(await journalConversation(runs, i));
    const backlog = files.backlog();
    expect(backlog.bytes).toBeLessThanOrEqual(8000);
    expect(backlog.dropped).toBeGreaterThan(0);
    expect(backlog.records + backlog.dropped).toBe(30 * RECORDS_PER_CONVERSATION);
    const drops = lines.filter((l) => l.msg?.startsWith('run-log journal over JOURNAL_MAX_MB'));
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.reduce((n, l) => n + l.records, 0)).toBe(backlog.dropped);
    expect(drops[0]).toMatchObject({ level: 50, maxBytes: 8000, segments: expect.any(Number), runs: expect.any(Number) });

    const store = await pgliteStore();
    const report = await flusherFor(files, store, reach, runs).tick();
    expect(report!.rejected).toBe(0);
    expect(report!.applied + report!.orphaned).toBe(backlog.records);
    // The newest conversation is whole; the oldest is gone.
    expect((await runOf(store, 'Ev30')).run).toMatchObject({ status: 'succeeded', steps: [expect.anything(), expect.anything()] });
    expect((await runOf(store, 'Ev1')).count).toBe(0);
    expect(await store.runs.get(ids[0]!)).toBeNull();
    await files.close();
    await store.close();
  });

  test('records older than JOURNAL_MAX_AGE_HOURS are dropped, newer ones kept', async () => {
    const { logger, lines } = capturingLogger();
    let now = Date.parse('2026-12-01T00:00:00Z');
    const clock = () => now;
    const { files, runs } = downJournal({ ...settings, maxAgeMs: 3_600_000 }, logger, clock);
    for (let i = 1; i <= 2; i++) await journalConversation(runs, i);
    now += 30 * 60_000; // half the bound: a new segment (a segment spans at most an eighth), nothing dropped
    await journalConversation(runs, 3);
    expect(files.backlog()).toMatchObject({ runs: 3, records: 18, dropped: 0 });
    now += 31 * 60_000; // the first two conversations are now 61 minutes old, the third 31
    expect(await files.trim()).toMatchObject({ segments: 1, records: 12, runs: 2 });
    expect(files.backlog()).toMatchObject({ runs: 1, records: 6, dropped: 12 });
    expect(lines.find((l) => l.msg?.startsWith('run-log journal over'))).toMatchObject({ records: 12, runs: 2, maxAgeMs: 3_600_000 });
    await files.close();
  });
});

describe('corruption and crashes', () => {
  test('a process killed mid-write: the next process takes its slot over, skips the torn last line quietly, replays the rest', async () => {
    const script = fileURLToPath(new URL('./write-and-die.ts', import.meta.url));
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', script, settings.dir], { timeout: 30_000 });
    const { running } = JSON.parse(stdout) as { slot: string; running: string };

    const { logger, lines } = capturingLogger();
    const files = new JournalFiles(settings, logger);
    expect(await files.adoptLeftovers()).toBe(3 * RECORDS_PER_CONVERSATION + 5); // the 4th has no finish; its torn one is not counted
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
    const store = await pgliteStore();
    const { reach } = downJournal({ ...settings, dir: join(dir, 'unused') }, silent);
    const report = await flusherFor(files, store, reach).tick();
    expect(report).toMatchObject({ segments: 1, applied: 23, rejected: 0 });
    for (const eventId of ['Ev1', 'Ev2', 'Ev3']) expect((await runOf(store, eventId)).run).toMatchObject({ status: 'succeeded' });
    // The conversation cut off by the crash is on record as it was: running, with its steps, its lease long expired.
    expect(await store.runs.get(running)).toMatchObject({ status: 'running', steps: [expect.anything(), expect.anything()] });
    await files.close();
    await store.close();
  }, 60_000);

  test('a corrupted line in the middle is logged and skipped; the rest of the segment is replayed', async () => {
    const { files, runs } = downJournal(settings, silent);
    await journalConversation(runs, 1);
    await files.close();
    const slot = files.slotDir!;
    const [name] = segmentsIn(slot);
    const fileLines = readFileSync(join(slot, name!), 'utf8').split('\n');
    fileLines[2] = fileLines[2]!.replace('"type":"step"', '"type":"st\u0000');
    writeFileSync(join(slot, name!), fileLines.join('\n'));

    const { logger, lines } = capturingLogger();
    const again = new JournalFiles(settings, logger);
    expect(await again.adoptLeftovers()).toBe(5);
    expect(lines.find((l) => l.msg === 'run-log journal lines could not be read and are skipped')).toMatchObject({ level: 50, unreadable: 1 });
    const store = await pgliteStore();
    const { reach } = downJournal({ ...settings, dir: join(dir, 'unused') }, silent);
    expect(await flusherFor(again, store, reach).tick()).toMatchObject({ applied: 5, rejected: 0 });
    expect((await runOf(store, 'Ev1')).run).toMatchObject({ status: 'succeeded', steps: [expect.objectContaining({ seq: 1, kind: 'model' })] });
    await again.close();
    await store.close();
  });
});

describe('exactly-once without the database', () => {
  test('a redelivered event is answered once, also when both deliveries arrive together', async () => {
    const { files, runs } = downJournal(settings, silent);
    const input = { workspaceId: 'T1', surface: 'slack' as const, eventId: 'EvA', channelId: 'C1', messageTs: '1.1', requestText: 'hi' };
    const [a, b] = await Promise.all([runs.start(input), runs.start(input)]);
    expect([a.claimed, b.claimed].sort()).toEqual([false, true]);
    expect(a.run.id).toBe(b.run.id);
    // The same message as app_mention and message (another event id, same channel and ts) is the same request.
    expect(await runs.start({ ...input, eventId: 'EvB' })).toMatchObject({ claimed: false, run: { id: a.run.id } });
    expect(files.backlog()).toMatchObject({ runs: 1, records: 1 });
    await files.close();
  });
});

