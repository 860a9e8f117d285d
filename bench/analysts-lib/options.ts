/** Command-line options of bench:analysts (`npm run bench:analysts -- --runs=100000`). */
export interface BenchOptions {
  /** Runs seeded for the main Postgres measurement (default 1,000,000). */
  runs: number;
  /** Runs for the comparison: Postgres at this size (the memory target's baseline) and PGlite (default runs / 10). */
  small: number;
  /** Runs added before the incremental pass (default 10,000). */
  increment: number;
  stores: Array<'postgres' | 'pglite'>;
  /** Seed on the schema before this migration (a file name in supabase/migrations), then apply it and every later
   *  one, timed: what upgrading a live log costs, and the passes on the upgraded database. */
  upgradeFrom?: string;
  /** A SQL file applied to every bench database after seeding, before the passes: an index or query change being tried. */
  apply?: string;
  /** Postgres statement_timeout for the analysts' calls, seconds (default 60). */
  callTimeout: number;
  /** Draining an analyst stops once its calls took this long, seconds (default 30). */
  budget: number;
  /** A measurement still in its passes this long after seeding is stopped, seconds (default 400). */
  limit: number;
}

const USAGE = 'usage: npm run bench:analysts -- [--runs=1000000] [--small=RUNS/10] [--increment=10000] [--stores=postgres,pglite]\n' +
  '       [--upgrade-from=MIGRATION.sql] [--apply=file.sql] [--call-timeout=60] [--budget=30] [--limit=400]   (seconds)';

export function parseOptions(argv: string[]): BenchOptions {
  const given = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.+)$/.exec(arg);
    if (!m) throw new Error(`${USAGE}\nnot understood: ${arg}`);
    given.set(m[1]!, m[2]!);
  }
  const seconds = (name: string, fallback: number) => {
    const raw = given.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${USAGE}\n--${name} must be a positive number of seconds (got ${raw})`);
    return n;
  };
  const count = (name: string, fallback: number) => {
    const raw = given.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/[_,]/g, ''));
    if (!Number.isInteger(n) || n < 1000) throw new Error(`${USAGE}\n--${name} must be an integer of at least 1000 (got ${raw})`);
    return n;
  };
  const runs = count('runs', 1_000_000);
  const stores = (given.get('stores') ?? 'postgres,pglite').split(',').map((x) => x.trim());
  for (const store of stores) if (store !== 'postgres' && store !== 'pglite') throw new Error(`${USAGE}\nunknown store: ${store}`);
  const known = new Set(['runs', 'small', 'increment', 'stores', 'upgrade-from', 'apply', 'call-timeout', 'budget', 'limit']);
  for (const key of given.keys()) if (!known.has(key)) throw new Error(`${USAGE}\nunknown option --${key}`);
  return {
    runs, small: count('small', Math.max(1000, Math.round(runs / 10))), increment: count('increment', 10_000),
    stores: stores as BenchOptions['stores'], ...(given.has('upgrade-from') ? { upgradeFrom: given.get('upgrade-from')! } : {}),
    ...(given.has('apply') ? { apply: given.get('apply')! } : {}),
    callTimeout: seconds('call-timeout', 60), budget: seconds('budget', 30), limit: seconds('limit', 400),
  };
}
