/**
 * Checks that the analyst speed migration keeps the analysts' results: the same seeded log in two databases, both
 * on the previous release's schema and functions (every migration before 20261201000900_analyst_speed.sql); one
 * stays there, the other is upgraded (the held-back migrations applied to the seeded log, as on a live database:
 * this also checks the stored columns are filled for existing rows), optionally with a SQL file of further changes
 * applied. Then a full and an incremental pass on each, and every table the analysts write compared row by row.
 * Exits 1 on any difference.
 *
 *   npx tsx bench/analysts-lib/compare-fixes.ts [runs=20000] [from=20261201000900_analyst_speed.sql] [extra.sql]
 *
 * Keep runs small: before the migration, analyst_workflows is quadratic in the batch (19–49 s at 20k runs on the
 * 2-core machine, depending on its load).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { pino } from 'pino';
import { startPostgresServer } from '../../tests/support/postgres-server.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';
import { benchScheduler, runPass } from './pass.js';
import { BULK_END_AGO_SECONDS, seedBulk, seedIncrement, seedSetup } from './seed.js';
import { ANALYST_SPEED_MIGRATION, migrateBefore, upgrade } from './upgrade.js';

const runs = Number(process.argv[2] ?? 20_000);
const from = process.argv[3] ?? ANALYST_SPEED_MIGRATION;
const extra = process.argv[4];
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
  for (const name of ['previous', 'upgraded']) {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    urls.push(server.url.replace(/\/postgres$/, `/${name}`));
  }
  const clients = await Promise.all(urls.map(async (url) => {
    const sql = openPostgres(url, { max: 4 });
    await migrateBefore(sql, from);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return { sql, c, db: { exec: async (s: string) => { await c.query(s); }, query: async <T>(s: string) => (await c.query(s)).rows as T[] } };
  }));
  for (const { db } of clients) { await seedSetup(db); await seedBulk(db, 0, runs, undefined, end); }
  const upgraded = await upgrade(clients[1]!.sql);
  process.stdout.write(`upgraded the seeded log of ${runs} runs: ${upgraded.applied.join(', ')} in ${upgraded.seconds.toFixed(1)} s\n`);
  // The stored columns the migration adds must be filled for the rows that were there before it.
  const unfilled = await clients[1]!.db.query<{ n: string }>(`select count(*) as n from runs
    where request_sig is distinct from request_signature(request_text)
       or error_pattern is distinct from case when error_message is not null then error_normalise(error_message) end`);
  process.stdout.write(`${unfilled[0]!.n === '0' ? 'SAME' : 'DIFFERENT'}  stored request_sig and error_pattern of existing runs (${unfilled[0]!.n} differ)\n`);
  if (unfilled[0]!.n !== '0') process.exitCode = 1;
  if (extra) await clients[1]!.db.exec(readFileSync(extra, 'utf8'));
  for (const [i, { sql, c, db }] of clients.entries()) {
    const { scheduler, notices } = benchScheduler(new Store(new SqlTransport('postgres', sql, classifySqlError)), logger);
    const full = await runPass(scheduler, notices, { drain: true, budgetSeconds: Number.POSITIVE_INFINITY });
    await seedIncrement(db, runs, runs + INCREMENT, end + 3000);
    const incremental = await runPass(scheduler, notices, { drain: false, budgetSeconds: Number.POSITIVE_INFINITY });
    process.stdout.write(`${i === 0 ? `before ${from}` : `upgraded${extra ? ` with ${extra}` : ''}`}: full pass ${full.seconds.toFixed(1)} s, incremental ${incremental.seconds.toFixed(2)} s\n`);
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
process.exit(same && process.exitCode !== 1 ? 0 : 1);
