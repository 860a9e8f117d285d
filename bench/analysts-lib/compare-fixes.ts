/**
 * Checks that a SQL file of proposed changes keeps the analysts' results: the same seeded log in two databases, the
 * shipped SQL in one and the file applied in the other, a full and an incremental pass on each, then every table the
 * analysts write compared row by row. Exits 1 on any difference.
 *
 *   npx tsx bench/analysts-lib/compare-fixes.ts [runs=20000] [file=bench/analysts-lib/proposed-fixes.sql]
 *
 * Keep runs small: as shipped, analyst_workflows is quadratic in the batch (19–49 s at 20k runs on the 2-core machine, depending on its load).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { pino } from 'pino';
import { startPostgresServer } from '../../tests/support/postgres-server.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';
import { benchScheduler, runPass } from './pass.js';
import { BULK_END_AGO_SECONDS, seedBulk, seedIncrement, seedSetup } from './seed.js';

const runs = Number(process.argv[2] ?? 20_000);
const file = process.argv[3] ?? 'bench/analysts-lib/proposed-fixes.sql';
const INCREMENT = 3000;

/** What the analysts wrote, without ids and times of writing (they differ between two databases by construction). */
const SNAPSHOT: Record<string, string> = {
  error_knowledge: `select signature, error_class, message_pattern, agent_id, model, occurrences, recovery, first_seen, last_seen, example_run_id,
    example_message, escalated_at is not null as escalated from error_knowledge order by signature`,
  patterns: `select workspace_id, signature, example, occurrences, successes, goal_runs, goal_successes, ratings, rating_sum, agents,
    (select array_agg(x order by x) from unnest(examples) x) as examples, strength, avg_rating, first_seen, last_seen,
    workflow_id is not null as induced, gap_handled_at is not null as gap_handled from patterns order by workspace_id, signature`,
  run_stats_hourly: 'select * from run_stats_hourly order by hour, workspace_id, agent_ref',
  anomalies: 'select scope, metric, baseline, observed, runs, example_run_ids, closed_at is not null as closed from anomalies order by scope, metric',
  enhancements: `select source, target_kind, category, status, expected_impact, reasons, change - 'workflowId' - 'patternId' as change
    from enhancements order by category, reasons, target_kind`,
  workflows: 'select workspace_id, name, kind, status, graph, triggers, description from workflows order by workspace_id, name',
  analyst_runs: 'select job, rows_read, findings, proposals, error from analyst_runs order by job, generation',
};

const server = await startPostgresServer();
if (!server) throw new Error('no PostgreSQL binaries (initdb, pg_ctl)');
const logger = pino({ level: 'error' }, pino.destination(2));
// One clock for both logs: the same runs, finished at the same times.
const end = Math.floor(Date.now() / 1000) - BULK_END_AGO_SECONDS;
const snapshots: Array<Record<string, string>> = [];
try {
  const urls: string[] = [];
  for (const name of ['shipped', 'changed']) {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    urls.push(server.url.replace(/\/postgres$/, `/${name}`));
  }
  const clients = await Promise.all(urls.map(async (url) => {
    const sql = openPostgres(url, { max: 4 });
    await migrate(sql);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return { sql, c, db: { exec: async (s: string) => { await c.query(s); }, query: async <T>(s: string) => (await c.query(s)).rows as T[] } };
  }));
  for (const { db } of clients) { await seedSetup(db); await seedBulk(db, 0, runs, undefined, end); }
  await clients[1]!.db.exec(readFileSync(file, 'utf8'));
  for (const [i, { sql, c, db }] of clients.entries()) {
    const { scheduler, notices } = benchScheduler(new Store(new SqlTransport('postgres', sql, classifySqlError)), logger);
    const full = await runPass(scheduler, notices, { drain: true, budgetSeconds: Number.POSITIVE_INFINITY });
    await seedIncrement(db, runs, runs + INCREMENT, end + 3000);
    const incremental = await runPass(scheduler, notices, { drain: false, budgetSeconds: Number.POSITIVE_INFINITY });
    process.stdout.write(`${i === 0 ? 'shipped' : `with ${file}`}: full pass ${full.seconds.toFixed(1)} s, incremental ${incremental.seconds.toFixed(2)} s\n`);
    const snapshot: Record<string, string> = { notices: String(notices.count) };
    for (const [table, query] of Object.entries(SNAPSHOT)) snapshot[table] = JSON.stringify((await c.query(query)).rows);
    snapshots.push(snapshot);
    await c.end();
    await sql.close();
  }
} finally {
  server.stop();
}
let same = true;
for (const key of Object.keys(snapshots[0]!)) {
  const equal = snapshots[0]![key] === snapshots[1]![key];
  same &&= equal;
  const rows = key === 'notices' ? snapshots[0]![key] : `${(JSON.parse(snapshots[0]![key]!) as unknown[]).length} rows`;
  process.stdout.write(`${equal ? 'SAME' : 'DIFFERENT'}  ${key} (${rows})\n`);
}
process.exit(same ? 0 : 1);
