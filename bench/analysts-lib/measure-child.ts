/**
 * One measurement in its own process (forked by bench/analysts.ts), so its peak RSS is its own: open the store,
 * migrate (or migrate to the schema before --upgrade-from and upgrade after seeding), seed N runs, optionally apply a SQL file (an index or query change being tried), time the full pass,
 * add the increment, time the incremental pass. Progress and the result go back to the parent over IPC (the
 * parent keeps the figures of a measurement it has to stop).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import pg from 'pg';
import { pino } from 'pino';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';
import { benchScheduler, leftUnread, runPass, type CallFigure, type PassFigure } from './pass.js';
import { lifetimePeakRss, sampleOwnRss } from './rss.js';
import { TimedTransport } from './timed-transport.js';
import { migrateBefore, upgrade } from './upgrade.js';
import { seedBulk, seedCounts, seedIncrement, seedSetup, type SeedConnection, type SeedCounts } from './seed.js';

export interface MeasureRequest {
  store: 'postgres' | 'pglite';
  url?: string;
  /** PGlite only: the data directory (made and removed by the parent, which outlives a killed child). */
  dataDir?: string;
  runs: number;
  increment: number;
  /** Seed on the schema before this migration, then apply it and the later ones (timed): the upgrade of a live log. */
  upgradeFrom?: string;
  apply?: string;
  /** Postgres only: statement_timeout of the analysts' connections. */
  callTimeoutSeconds: number;
  /** Draining stops once an analyst's calls took this long. */
  budgetSeconds: number;
}

export interface SeedFigure {
  seconds: number; indexSeconds: number; vacuumSeconds: number; counts: SeedCounts;
  /** The held-back migrations applied to the seeded log (--upgrade-from), and how long they took. */
  upgraded?: { migrations: string[]; seconds: number };
  applied?: { file: string; seconds: number };
}

export interface MeasureResult {
  store: 'postgres' | 'pglite';
  runs: number;
  seed: SeedFigure;
  full: PassFigure;
  increment: { runs: number; seedSeconds: number };
  incremental: PassFigure;
  /** null: not checked (an analyst failed or was stopped). */
  leftAfterIncremental: Record<string, number> | null;
  rss: { afterSeed: number; fullPassPeak: number; incrementalPassPeak: number; lifetimePeak: number };
}

export type ChildMessage =
  | { type: 'seeded'; seed: SeedFigure }
  | { type: 'call'; pass: 'full' | 'incremental'; name: string; call: CallFigure }
  | { type: 'pass'; pass: 'full' | 'incremental'; figure: PassFigure }
  | { type: 'result'; result: MeasureResult }
  | { type: 'error'; error: string };

const send = (m: ChildMessage) => new Promise<void>((resolve) => { process.send!(m, () => resolve()); });
const progress = (text: string) => process.stderr.write(`  [${new Date().toISOString().slice(11, 19)}] ${text}\n`);

interface Opened { sql: SqlClient; seedDb: SeedConnection; close(): Promise<void>; forPasses(): Promise<SqlClient> }

async function open(req: MeasureRequest): Promise<Opened> {
  if (req.store === 'postgres') {
    let sql = openPostgres(req.url!, { max: 4 });
    // The seed runs on one connection of its own (setseed is per session: the same --runs seeds the same log).
    const seeder = new pg.Client({ connectionString: req.url });
    await seeder.connect();
    return {
      sql, seedDb: { exec: async (s) => { await seeder.query(s); }, query: async <T>(s: string) => (await seeder.query(s)).rows as T[] },
      // The analysts get fresh connections that carry the per-call timeout (a database default, read at connect).
      async forPasses() {
        await seeder.query(`alter database ${(await seeder.query('select current_database() as d')).rows[0].d} set statement_timeout = '${req.callTimeoutSeconds}s'`);
        await sql.close();
        sql = openPostgres(req.url!, { max: 4 });
        return sql;
      },
      close: async () => { await seeder.end(); await sql.close(); },
    };
  }
  // PGlite as the app runs it by default: on a data directory, inside this process. No statement timeout there
  // (one WASM thread): the parent stops a measurement that runs past its limit.
  const sql = await openPglite(req.dataDir!);
  return { sql, seedDb: { exec: (s) => sql.exec(s), query: (s) => sql.query(s) }, forPasses: async () => sql, close: () => sql.close() };
}

async function measure(req: MeasureRequest): Promise<MeasureResult> {
  const opened = await open(req);
  const { seedDb } = opened;
  const label = `${req.store} ${req.runs}`;
  try {
    if (req.upgradeFrom) await migrateBefore(opened.sql, req.upgradeFrom);
    else await migrate(opened.sql);
    await seedSetup(seedDb);
    const bulk = await seedBulk(seedDb, 0, req.runs, (done) => { if (done % 500_000 === 0) progress(`${label}: seeded ${done}`); });
    const seed: SeedFigure = { ...bulk, counts: await seedCounts(seedDb) };
    progress(`${label}: loaded in ${bulk.seconds.toFixed(1)} s, indexes ${bulk.indexSeconds.toFixed(1)} s, vacuum analyze ${bulk.vacuumSeconds.toFixed(1)} s`);
    if (req.upgradeFrom) {
      const u = await upgrade(opened.sql);
      seed.upgraded = { migrations: u.applied, seconds: u.seconds };
      progress(`${label}: upgraded (${u.applied.join(', ')}) in ${u.seconds.toFixed(1)} s`);
    }
    if (req.apply) {
      const t0 = performance.now();
      await seedDb.exec(readFileSync(req.apply, 'utf8'));
      seed.applied = { file: req.apply, seconds: (performance.now() - t0) / 1000 };
      progress(`${label}: applied ${req.apply} in ${seed.applied.seconds.toFixed(1)} s`);
    }
    await send({ type: 'seeded', seed });
    const afterSeed = process.memoryUsage.rss();

    const transport = new TimedTransport(new SqlTransport(req.store, await opened.forPasses(), classifySqlError));
    const store = new Store(transport);
    const load = () => Math.round(loadavg()[0]! * 100) / 100;
    // Errors only: an analyst that fails is in the figures (ERROR ...); its warn-level log adds a stack per call.
    const logger = pino({ level: 'error' }, pino.destination(2));
    const { scheduler, notices } = benchScheduler(store, logger);
    const options = (pass: 'full' | 'incremental') => ({
      drain: pass === 'full', budgetSeconds: req.budgetSeconds,
      onCall: (name: string, call: CallFigure) => { void send({ type: 'call', pass, name, call }); },
    });
    let sampler = sampleOwnRss();
    transport.take();
    const full = await runPass(scheduler, notices, options('full'));
    const fullPassPeak = sampler.stop();
    Object.assign(full, { rpc: transport.take(), loadAvg1m: load() });
    await send({ type: 'pass', pass: 'full', figure: full });
    progress(`${label}: full pass ${full.seconds.toFixed(1)} s`);

    // No ANALYZE after the increment: 1 % new rows is below autovacuum's threshold, so a live database would not have one either.
    const inc = await seedIncrement(seedDb, req.runs, req.runs + req.increment);
    sampler = sampleOwnRss();
    transport.take();
    const incremental = await runPass(scheduler, notices, options('incremental'));
    const incrementalPassPeak = sampler.stop();
    Object.assign(incremental, { rpc: transport.take(), loadAvg1m: load() });
    await send({ type: 'pass', pass: 'incremental', figure: incremental });
    progress(`${label}: incremental pass ${incremental.seconds.toFixed(2)} s`);
    // Whether anything was left unread (one more call each, untimed); skipped after a failed or stopped analyst,
    // whose next call would only fail or stop the same way.
    const clean = [full, incremental].every((p) => Object.values(p.analysts).every((a) => !a.error && !a.stoppedAfterBudget));
    const left = clean ? await leftUnread(scheduler) : null;
    return {
      store: req.store, runs: req.runs, seed, full, increment: { runs: req.increment, seedSeconds: inc.seconds }, incremental,
      leftAfterIncremental: left as Record<string, number> | null,
      rss: { afterSeed, fullPassPeak, incrementalPassPeak, lifetimePeak: lifetimePeakRss() },
    };
  } finally {
    await opened.close();
  }
}

const req = JSON.parse(process.argv[2] ?? '{}') as MeasureRequest;
measure(req).then(
  async (result) => { await send({ type: 'result', result }); process.exit(0); },
  async (error: unknown) => { await send({ type: 'error', error: error instanceof Error ? error.stack ?? error.message : String(error) }); process.exit(1); },
);
