/**
 * bench:analysts — seeds a synthetic run log (default 1,000,000 runs with steps, feedback, goals and errors, skewed
 * like real traffic) into a PostgreSQL server started from the machine's binaries, then times a full pass of every
 * analyst (each incremental one called until it reads nothing new) and an incremental pass after 10,000 new runs,
 * with the bench process's peak RSS. The same at 100,000 runs on Postgres (the memory baseline) and on PGlite.
 *
 *   npm run bench:analysts                          1M on Postgres, 100k on Postgres and PGlite
 *   npm run bench:analysts -- --runs=100000         smaller (the comparison runs at runs/10)
 *   npm run bench:analysts -- --upgrade-from=20261201000900_analyst_speed.sql   seed on the schema before that migration,
 *                                                   then upgrade (timed), and measure the passes on the upgraded log
 *   npm run bench:analysts -- --apply=changes.sql   try SQL changes (applied after seeding)
 *
 * Each measurement runs in a forked process of its own, so each peak RSS is that measurement's alone. Seeding is
 * timed and printed apart; it is not part of any pass. Slow SQL cannot hold the bench: each call has a statement
 * timeout (Postgres), draining stops after a time budget per analyst, and a measurement past its limit is stopped;
 * all three are reported as misses. The last line is one JSON object. See docs/PERFORMANCE.md, "Analysts".
 */
import pg from 'pg';
import { startPostgresServer, type PostgresServer } from '../tests/support/postgres-server.js';
import { parseOptions } from './analysts-lib/options.js';
import { figures, finish, heading, printMeasurement, round, type Target } from './analysts-lib/report.js';
import { mb } from './analysts-lib/rss.js';
import { measureInChild, type Measurement } from './analysts-lib/run-child.js';

const FULL_PASS_LIMIT_S = 20;
const INCREMENTAL_LIMIT_S = 1;
const RSS_RATIO_LIMIT = 1.2;

async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}

/** Every row read, nothing failed or stopped: the pass figures are those of a whole pass. */
function complete(r: Measurement): boolean {
  if (r.failure || !r.seed || !r.full || !r.incremental || !r.leftAfterIncremental) return false;
  const c = r.seed.counts;
  const a = r.full.analysts;
  return a.errors.rowsRead === c.failed && a.agents.rowsRead === c.analysable && a.workflows.rowsRead === c.analysable
    && Object.values(r.leftAfterIncremental).every((n) => n === 0)
    && [...Object.values(r.full.analysts), ...Object.values(r.incremental.analysts)].every((x) => !x.error && !x.stoppedAfterBudget);
}

function targetsOf(large: Measurement | undefined, small: Measurement | undefined, all: Map<string, Measurement>): Target[] {
  const targets: Target[] = [];
  if (large) {
    const where = `${large.store} ${large.runs}`;
    const whole = complete(large);
    const full = large.full?.seconds ?? null;
    const inc = large.incremental?.seconds ?? null;
    targets.push({ name: `full pass (${where}) s`, value: full === null ? null : round(full, 2), limit: `<= ${FULL_PASS_LIMIT_S}, complete`,
      pass: whole && full !== null && full <= FULL_PASS_LIMIT_S });
    targets.push({ name: `incremental pass (${where}) s`, value: inc === null ? null : round(inc, 2), limit: `<= ${INCREMENTAL_LIMIT_S}, complete`,
      pass: whole && inc !== null && inc <= INCREMENTAL_LIMIT_S });
  }
  if (large?.rss && small?.rss && large !== small) {
    const ratio = large.rss.lifetimePeak / small.rss.lifetimePeak;
    targets.push({ name: `peak RSS ${large.runs} / ${small.runs} (postgres)`, value: round(ratio, 2), limit: `<= ${RSS_RATIO_LIMIT}`, pass: ratio <= RSS_RATIO_LIMIT });
  }
  // Not targets of the issue but conditions of a valid measurement: each pass read everything there was to read.
  for (const [key, r] of all) targets.push({ name: `${key}: every row read, no analyst failed`, value: complete(r), limit: 'true', pass: complete(r) });
  return targets;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  heading('bench:analysts');
  process.stdout.write(`runs ${options.runs}, comparison ${options.small}, increment ${options.increment}, stores ${options.stores.join(',')}; ` +
    `call timeout ${options.callTimeout} s, budget ${options.budget} s per analyst, limit ${options.limit} s per measurement` +
    `${options.upgradeFrom ? `; upgrading from before ${options.upgradeFrom}` : ''}${options.apply ? `; applying ${options.apply}` : ''}\n`);
  const server = options.stores.includes('postgres') ? await startPostgresServer() : null;
  if (options.stores.includes('postgres') && !server) process.stdout.write('no PostgreSQL binaries found (initdb, pg_ctl): Postgres skipped\n');
  process.on('SIGINT', () => { server?.stop(); process.exit(130); });
  const results = new Map<string, Measurement>();
  try {
    const plan: Array<{ key: string; store: 'postgres' | 'pglite'; runs: number }> = [];
    if (server) {
      plan.push({ key: 'postgresSmall', store: 'postgres', runs: options.small });
      if (options.runs !== options.small) plan.push({ key: 'postgres', store: 'postgres', runs: options.runs });
    }
    if (options.stores.includes('pglite')) plan.push({ key: 'pglite', store: 'pglite', runs: options.small });
    for (const step of plan) {
      process.stderr.write(`${step.store}, ${step.runs} runs ...\n`);
      const url = step.store === 'postgres' ? await createDatabase(server!, `bench_${step.runs}`) : undefined;
      const result = await measureInChild({
        store: step.store, runs: step.runs, increment: options.increment, callTimeoutSeconds: options.callTimeout, budgetSeconds: options.budget,
        ...(url ? { url } : {}), ...(options.upgradeFrom ? { upgradeFrom: options.upgradeFrom } : {}),
        ...(options.apply ? { apply: options.apply } : {}),
      }, options.limit);
      results.set(step.key, result);
      printMeasurement(result);
    }
  } finally {
    server?.stop();
  }

  const small = results.get('postgresSmall');
  const large = results.get('postgres') ?? small ?? results.get('pglite');
  if (large?.rss && small?.rss && large !== small) {
    process.stdout.write(`\npeak RSS of the bench process: ${mb(large.rss.lifetimePeak)} MB at ${large.runs} runs vs ${mb(small.rss.lifetimePeak)} MB at ${small.runs} (postgres)\n`);
  }
  finish({ runs: options.runs, small: options.small, increment: options.increment,
    ...(options.upgradeFrom ? { upgradeFrom: options.upgradeFrom } : {}), ...(options.apply ? { applied: options.apply } : {}),
    ...Object.fromEntries([...results].map(([key, r]) => [key, figures(r)])) }, targetsOf(large, small, results));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
