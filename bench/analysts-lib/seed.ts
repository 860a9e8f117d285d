import { chunkSql, COUNTS_SQL, setupSql } from './seed-sql.js';

/** The two ways the seed talks to a database: a multi-statement script, and one query's rows. */
export interface SeedConnection {
  exec(sql: string): Promise<void>;
  query<T>(sql: string): Promise<T[]>;
}

export interface SeedCounts {
  runs: number; steps: number; feedback: number; goals: number;
  /** Failed runs with an error class: what the error analyst must read. */
  failed: number;
  /** Runs of kind message, goal or workflow: what the rollup and the workflow analyst must read. */
  analysable: number;
  /** On-disk size of runs, run_steps, feedback and goals with their indexes. */
  bytes: number;
}

const CHUNK = 100_000;
const DAY = 86_400;

/** The bulk ends an hour ago: every run is past the analysts' settle windows (the rollup lags 600 s), and the
 *  runs added later for the incremental pass (finished 41 to 11 minutes ago) all come after it. */
export const BULK_END_AGO_SECONDS = 3600;
export const INCREMENT_END_AGO_SECONDS = 11 * 60;

export async function seedSetup(db: SeedConnection): Promise<void> {
  await db.exec(setupSql());
}

const LOG_TABLES = ['runs', 'run_steps', 'feedback', 'goals'];

/** The log tables' secondary indexes (those not backing a constraint), as CREATE INDEX statements. */
async function secondaryIndexes(db: SeedConnection): Promise<Array<{ name: string; def: string }>> {
  return db.query<{ name: string; def: string }>(`
    select i.relname as name, pg_get_indexdef(i.oid) as def
      from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
      join pg_namespace n on n.oid = t.relnamespace
     where n.nspname = 'public' and t.relname in (${LOG_TABLES.map((t) => `'${t}'`).join(', ')})
       and not exists (select 1 from pg_constraint k where k.conindid = x.indexrelid)
     order by 1`);
}

/**
 * Runs [from, to) finished over 30 days up to an hour ago, in chunks of 100k. A bulk load the usual way: the
 * secondary indexes are dropped first and rebuilt after (the same definitions, read from the catalogue), then
 * VACUUM ANALYZE as autovacuum would have done on a live database. All of it is timed apart from the passes.
 */
export async function seedBulk(db: SeedConnection, from: number, to: number, onChunk?: (done: number) => void,
  end = Math.floor(Date.now() / 1000) - BULK_END_AGO_SECONDS): Promise<{ seconds: number; indexSeconds: number; vacuumSeconds: number }> {
  const started = performance.now();
  // JIT would compile the generator's large expressions for every chunk; the load gains nothing from it.
  await db.exec('set jit = off');
  const indexes = await secondaryIndexes(db);
  await db.exec(indexes.map((i) => `drop index public.${i.name};`).join('\n'));
  for (let lo = from; lo < to; lo += CHUNK) {
    const hi = Math.min(to, lo + CHUNK);
    await db.exec(chunkSql({ lo, hi, from, count: to - from, endEpoch: end, spanSeconds: 30 * DAY, spikeAfterEpoch: end - 2 * 3600 }));
    onChunk?.(hi - from);
  }
  const loaded = performance.now();
  await db.exec(`set maintenance_work_mem = '256MB';\n${indexes.map((i) => `${i.def};`).join('\n')}\nreset maintenance_work_mem;`);
  const indexed = performance.now();
  await db.exec('vacuum analyze');
  await db.exec('reset jit');
  return { seconds: (loaded - started) / 1000, indexSeconds: (indexed - loaded) / 1000, vacuumSeconds: (performance.now() - indexed) / 1000 };
}

/** New runs [from, to) finished 41 to 11 minutes ago: what arrives between two scheduled passes. */
export async function seedIncrement(db: SeedConnection, from: number, to: number,
  end = Math.floor(Date.now() / 1000) - INCREMENT_END_AGO_SECONDS): Promise<{ seconds: number }> {
  const started = performance.now();
  await db.exec('set jit = off');
  for (let lo = from; lo < to; lo += CHUNK) {
    await db.exec(chunkSql({ lo, hi: Math.min(to, lo + CHUNK), from, count: to - from, endEpoch: end, spanSeconds: 30 * 60, spikeAfterEpoch: null }));
  }
  await db.exec('reset jit');
  return { seconds: (performance.now() - started) / 1000 };
}

export async function seedCounts(db: SeedConnection): Promise<SeedCounts> {
  const [row] = await db.query<Record<keyof SeedCounts, number | string>>(COUNTS_SQL);
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)])) as unknown as SeedCounts;
}
