import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { AppError } from '../../src/errors.js';
import { migrate, SUPABASE_DIR } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { REQUIRED_SCHEMA_VERSION, Store } from '../../src/store/store.js';
import { createTestDatabase, postgresAvailable } from '../support/stores.js';

/** The first release's schema, exactly as shipped (tests/fixtures/schema-0.1.0). */
const RELEASE_0_1_0 = fileURLToPath(new URL('../fixtures/schema-0.1.0/', import.meta.url));

/** Data of every kind the 0.1.0 schema holds, written through 0.1.0's own SQL functions. */
async function fillRelease010(sql: SqlClient): Promise<void> {
  const one = async (text: string, params: unknown[] = []) => (await sql.query<{ r: any }>(text, params))[0]!.r;
  await one(`select agent_save(p_config => $1::jsonb) as r`, [JSON.stringify({
    agent_id: 'ops-helper', specialty: 'operations', description: 'on-call questions and runbooks', system_prompt: 'You help on call.',
    model: 'gpt-4.1-mini', tools: ['current_time'], origin: 'user' })]);
  await one(`select agent_save(p_config => $1::jsonb) as r`, [JSON.stringify({
    agent_id: 'general', specialty: 'general assistant', description: 'everything else', system_prompt: 'Edited general prompt.', origin: 'user' })]);
  const runs: string[] = [];
  for (let i = 0; i < 12; i++) {
    const started = await one(`select run_start(p_workspace_id => 'T1', p_surface => 'slack', p_event_id => $1, p_channel_id => 'C1',
      p_message_ts => $2, p_thread_ts => $2, p_user_id => 'U1', p_request_text => $3) as r`, [`Ev${i}`, `1700000000.${i}`, `question ${i} about ops`]);
    const runId = started.run.id as string;
    runs.push(runId);
    await one(`select run_add_step(p_run_id => $1, p_kind => 'model', p_status => 'ok', p_agent_id => 'ops-helper', p_agent_version => 1,
      p_model => 'gpt-4.1-mini', p_tokens_in => 100, p_tokens_out => 40, p_cost_usd => 0.000104, p_latency_ms => 300) as r`, [runId]);
    await one(`select run_finish(p_run_id => $1, p_status => $2, p_route => 'direct', p_route_reason => 'registry match',
      p_agent_ids => '["ops-helper"]'::jsonb, p_error_class => $3) as r`, [runId, i % 4 === 3 ? 'failed' : 'succeeded', i % 4 === 3 ? 'MODEL_TIMEOUT' : null]);
  }
  await one(`select feedback_record(p_run_id => $1, p_workspace_id => 'T1', p_user_id => 'U1', p_source => 'button', p_rating => 2,
    p_text => 'too long', p_category => 'too_long', p_dedupe_key => 'fb-1') as r`, [runs[0]]);
  const plan = { title: 'Launch', tasks: [
    { id: 't1', title: 'Research', instructions: 'research', specialty: 'research', depends_on: [], level: 'tactical', done_when: 'done' },
    { id: 't2', title: 'Write', instructions: 'write', specialty: 'writing', depends_on: ['t1'], level: 'operational', done_when: 'done' }] };
  const saved = await one(`select workflow_save(p_workspace_id => 'T1', p_name => 'launch-plan', p_graph => $1::jsonb,
    p_triggers => '["plan the launch"]'::jsonb, p_source_run_id => $2, p_created_by => 'U1') as r`, [JSON.stringify(plan), runs[1]]);
  await one(`select workflow_record_use(p_workflow_id => $1, p_run_id => $2, p_succeeded => true) as r`, [saved.workflow.id, runs[2]]);
  const goal = await one(`select goal_create(p_run_id => $1, p_workspace_id => 'T1', p_request_text => 'plan the launch', p_plan => $2::jsonb,
    p_budget => '{"maxTasks": 8}'::jsonb, p_owner => 'host:1', p_channel_id => 'C1', p_thread_ts => '1700000000.1', p_user_id => 'U1') as r`,
  [runs[1], JSON.stringify(plan)]);
  await one(`select task_update(p_goal_id => $1, p_task_id => 't1', p_owner => 'host:1', p_status => 'succeeded', p_agent_id => 'research',
    p_result => 'findings', p_tokens_in => 50, p_tokens_out => 20, p_cost_usd => 0.0001) as r`, [goal.id]);
  await one(`select tool_approval_create(p_run_id => $1, p_workspace_id => 'T1', p_user_id => 'U1', p_tool => 'ops__restart',
    p_args => '{"service":"api"}'::jsonb, p_timeout_seconds => 120) as r`, [runs[3]]);
  await sql.exec(`insert into budgets (scope, scope_id, period, limit_usd, action) values ('workspace', 'T1', 'daily', 5, 'warn');
    insert into patterns (workspace_id, signature, example, occurrences, successes) values ('T1', 'ops question', 'question 1 about ops', 12, 9);
    insert into lineage (child_kind, child_id, relation, parent_kind, parent_id) values ('agent', 'ops-helper', 'inherits', 'agent', 'general');
    insert into workspace_settings (workspace_id, goal_budget) values ('T1', '{"maxTasks": 5}');`);
}

/** Every row of every table, as JSON, keyed by table. */
async function snapshot(sql: SqlClient): Promise<Record<string, Array<Record<string, unknown>>>> {
  const tables = (await sql.query<{ t: string }>(
    `select tablename as t from pg_tables where schemaname = 'public' and tablename <> 'app_migrations' order by 1`)).map((r) => r.t);
  const out: Record<string, Array<Record<string, unknown>>> = {};
  for (const t of tables) {
    const rows = await sql.query<{ j: Record<string, unknown> }>(`select to_jsonb(x) as j from ${t} x`);
    out[t] = rows.map((r) => r.j).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

/** Each old row is still there with every old column unchanged (new columns may have been added). */
function expectPreserved(before: Awaited<ReturnType<typeof snapshot>>, after: Awaited<ReturnType<typeof snapshot>>): void {
  for (const [table, rows] of Object.entries(before)) {
    expect(after[table], `table ${table} still exists`).toBeDefined();
    expect(after[table]!.length, `rows of ${table}`).toBe(rows.length);
    const remaining = [...after[table]!];
    for (const row of rows) {
      const i = remaining.findIndex((candidate) => Object.keys(row).every((k) => JSON.stringify(candidate[k]) === JSON.stringify(row[k])));
      expect(i, `${table} row ${JSON.stringify(row).slice(0, 200)} kept unchanged`).toBeGreaterThanOrEqual(0);
      remaining.splice(i, 1);
    }
  }
}

async function upgradeFromRelease010(sql: SqlClient, kind: 'pglite' | 'postgres'): Promise<void> {
  await migrate(sql, RELEASE_0_1_0);
  await fillRelease010(sql);
  const before = await snapshot(sql);
  const result = await migrate(sql);
  expect(result.skipped).toEqual(readdirSync(join(RELEASE_0_1_0, 'migrations')).sort());
  expectPreserved(before, await snapshot(sql));
  // HEAD's code reads the old data through the upgraded schema.
  const store = new Store(new SqlTransport(kind, sql, classifySqlError));
  await store.checkSchema();
  const report = await store.metrics.report('T1', 'all');
  expect(report).toMatchObject({ runs: 12, succeeded: 9 });
  expect((await store.agents.get('general'))?.systemPrompt).toBe('Edited general prompt.');
  expect((await store.workflows.get('T1', 'launch-plan'))?.uses).toBe(1);
}

/** supabase/ with the migrations from `first` on held back: the schema as the release before them left it. */
function schemaBefore(first: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'schema-before-'));
  cpSync(SUPABASE_DIR, dir, { recursive: true });
  for (const f of readdirSync(join(dir, 'migrations'))) if (f >= first) rmSync(join(dir, 'migrations', f));
  return `${dir}/`;
}

const ANALYST_SPEED = '20261201000900_analyst_speed.sql';
const FEWER_ROUND_TRIPS = '20261202000100_fewer_round_trips.sql';
/** The migration files from `first` on, as an upgrade from the schema before `first` applies them. */
const migrationsFrom = (first: string) => readdirSync(join(SUPABASE_DIR, 'migrations')).filter((f) => f.endsWith('.sql') && f >= first).sort();
const UUID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';

/**
 * 20261201000900_analyst_speed adds stored generated columns to runs (the request's signature, the error's
 * normalised message): the upgrade must compute them for the runs already logged, and the analysts must then read
 * those runs through them.
 */
async function upgradeThroughAnalystSpeed(sql: SqlClient, kind: 'pglite' | 'postgres'): Promise<void> {
  const before = schemaBefore(ANALYST_SPEED);
  try {
    await migrate(sql, before);
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
  const one = async (text: string, params: unknown[] = []) => (await sql.query<{ r: any }>(text, params))[0]!.r;
  const requests = ['Plan: launch the rocket', 'How do I restart the API?', 'how do i restart the api', 'how do I restart the API'];
  for (const [i, request] of requests.entries()) {
    const started = await one(`select run_start(p_workspace_id => 'T1', p_surface => 'slack', p_event_id => $1, p_channel_id => 'C1',
      p_message_ts => $2, p_user_id => 'U1', p_request_text => $3) as r`, [`Ev${i}`, `1700000000.${i}`, request]);
    const failed = i >= 2;
    await one(`select run_finish(p_run_id => $1, p_status => $2, p_agent_ids => '["ops-helper"]'::jsonb, p_error_class => $3,
      p_error_message => $4, p_latency_ms => 250) as r`,
    [started.run.id, failed ? 'failed' : 'succeeded', failed ? 'MODEL_SERVER' : null, failed ? `Upstream 503 for request ${UUID} after ${i}.5  s` : null]);
  }
  const snapshotBefore = await snapshot(sql);
  expect(snapshotBefore.runs!.every((r) => !('request_sig' in r))).toBe(true);

  expect((await migrate(sql)).applied).toEqual(migrationsFrom(ANALYST_SPEED));
  expectPreserved(snapshotBefore, await snapshot(sql));
  const rows = await sql.query<{ request_text: string; request_sig: string; error_pattern: string | null }>(
    'select request_text, request_sig, error_pattern from runs order by started_at');
  expect(rows.map((r) => r.request_sig)).toEqual(['launch rocket', 'api restart', 'api restart', 'api restart']);
  expect(rows.map((r) => r.error_pattern)).toEqual([null, null, 'upstream <n> for request <id> after <n> s', 'upstream <n> for request <id> after <n> s']);
  // The same values the functions give for a row written after the upgrade.
  const [fresh] = await sql.query<{ same: boolean }>(`select bool_and(request_sig = request_signature(request_text)
    and error_pattern is not distinct from case when error_message is not null then error_normalise(error_message) end) as same from runs`);
  expect(fresh!.same).toBe(true);

  // HEAD's analysts read the old runs through the stored columns.
  const store = new Store(new SqlTransport(kind, sql, classifySqlError));
  await store.checkSchema();
  const claimFor = async (job: string) => {
    const claim = await store.analysts.claim(job, 'test', new Date(), 60);
    if (!claim.claimed) throw new Error(`${job} not claimed`);
    return claim;
  };
  const errorsJob = await claimFor('errors');
  expect(await store.analysts.errors('errors', errorsJob.generation, { settleSeconds: 0, minOccurrences: 2 })).toMatchObject({ ok: true, rowsRead: 2, signatures: 1 });
  const [knowledge] = await sql.query<{ message_pattern: string; occurrences: number }>('select message_pattern, occurrences from error_knowledge');
  expect(knowledge).toEqual({ message_pattern: 'upstream <n> for request <id> after <n> s', occurrences: 2 });
  const workflowsJob = await claimFor('workflows');
  expect(await store.analysts.workflows('workflows', workflowsJob.generation, { thresholds: [3, 5, 8, 15], minSuccess: 0.7, settleSeconds: 0 }))
    .toMatchObject({ ok: true, rowsRead: 4, patterns: 2 });
  expect(await sql.query('select signature, occurrences from patterns order by signature'))
    .toEqual([{ signature: 'api restart', occurrences: 3 }, { signature: 'launch rocket', occurrences: 1 }]);
}

/**
 * 20261202000100_fewer_round_trips replaces run_finish (one more argument: the answer text) and adds
 * budget_request_status. From the schema before it, with runs, answers and budgets in it: nothing lost, the old
 * answers kept, and HEAD's calls (a finish with its answer, the one budget read) work on the upgraded database,
 * as does run_set_answer, which the journal's replay still calls.
 */
async function upgradeThroughFewerRoundTrips(sql: SqlClient, kind: 'pglite' | 'postgres'): Promise<void> {
  const before = schemaBefore(FEWER_ROUND_TRIPS);
  try {
    await migrate(sql, before);
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
  const one = async (text: string, params: unknown[] = []) => (await sql.query<{ r: any }>(text, params))[0]!.r;
  const started = await one(`select run_start(p_workspace_id => 'T1', p_surface => 'slack', p_event_id => 'Ev1', p_channel_id => 'C1',
    p_message_ts => '1700000000.1', p_user_id => 'U1', p_request_text => 'what is the capital of France?') as r`);
  await one(`select run_finish(p_run_id => $1, p_status => 'succeeded', p_agent_ids => '["general"]'::jsonb, p_latency_ms => 300) as r`, [started.run.id]);
  await one(`select run_set_answer(p_run_id => $1, p_answer_text => 'Paris.') as r`, [started.run.id]);
  await sql.exec(`insert into budgets (scope, scope_id, period, limit_usd, action) values ('agent', 'general', 'daily', 3, 'downgrade'),
    ('user', 'U1', 'monthly', 9, 'refuse')`);
  const snapshotBefore = await snapshot(sql);

  expect((await migrate(sql)).applied).toEqual(migrationsFrom(FEWER_ROUND_TRIPS));
  expectPreserved(snapshotBefore, await snapshot(sql));
  const store = new Store(new SqlTransport(kind, sql, classifySqlError));
  await store.checkSchema();
  expect(await sql.query('select answer_text from runs where id = $1', [started.run.id])).toEqual([{ answer_text: 'Paris.' }]);
  const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'slack', userId: 'U1', requestText: 'and of Spain?', eventId: 'Ev2' });
  await store.runs.finish(run.id, { status: 'succeeded', answerText: 'Madrid.' });
  await store.runs.setAnswer(run.id, 'Madrid, the capital.');
  expect(await sql.query('select answer_text from runs order by started_at')).toEqual([{ answer_text: 'Paris.' }, { answer_text: 'Madrid, the capital.' }]);
  expect((await store.budgets.requestStatus('T1', 'U1')).map((b) => `${b.scope}:${b.scopeId}:${b.action}`).sort())
    .toEqual(['agent:general:downgrade', 'user:U1:refuse']);
}

describe('upgrading a live database', () => {
  test('through the fewer-round-trips migration on PGlite: answers and budgets kept, the new run_finish and budget read work', async () => {
    const sql = await openPglite();
    await upgradeThroughFewerRoundTrips(sql, 'pglite');
    await sql.close();
  });

  test.skipIf(!postgresAvailable())('through the fewer-round-trips migration on PostgreSQL: answers and budgets kept, the new run_finish and budget read work', async () => {
    const sql = openPostgres(await createTestDatabase(), { max: 2 });
    await upgradeThroughFewerRoundTrips(sql, 'postgres');
    await sql.close();
  });

  test('from release 0.1.0 with data in it to HEAD on PGlite: nothing lost', async () => {
    const sql = await openPglite();
    await upgradeFromRelease010(sql, 'pglite');
    await sql.close();
  });

  test.skipIf(!postgresAvailable())('from release 0.1.0 with data in it to HEAD on PostgreSQL: nothing lost', async () => {
    const sql = openPostgres(await createTestDatabase(), { max: 2 });
    await upgradeFromRelease010(sql, 'postgres');
    await sql.close();
  });

  test('through the analyst speed migration on PGlite: the stored signature and error pattern are filled for existing runs', async () => {
    const sql = await openPglite();
    await upgradeThroughAnalystSpeed(sql, 'pglite');
    await sql.close();
  });

  test.skipIf(!postgresAvailable())('through the analyst speed migration on PostgreSQL: the stored signature and error pattern are filled for existing runs', async () => {
    const sql = openPostgres(await createTestDatabase(), { max: 2 });
    await upgradeThroughAnalystSpeed(sql, 'postgres');
    await sql.close();
  });

  test('a released migration is never edited: 0.1.0 files are byte-identical on main', () => {
    for (const file of readdirSync(join(RELEASE_0_1_0, 'migrations'))) {
      expect(readFileSync(join(SUPABASE_DIR, 'migrations', file), 'utf8'), file).toBe(readFileSync(join(RELEASE_0_1_0, 'migrations', file), 'utf8'));
    }
  });

  test('an applied migration that changed on disk refuses to start, naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    try {
      cpSync(SUPABASE_DIR, dir, { recursive: true });
      const sql = await openPglite();
      await migrate(sql, `${dir}/`);
      const file = readdirSync(join(dir, 'migrations')).sort()[2]!;
      writeFileSync(join(dir, 'migrations', file), `${readFileSync(join(dir, 'migrations', file), 'utf8')}\n-- edited after release\n`);
      const error = await migrate(sql, `${dir}/`).catch((e: unknown) => e);
      expect(AppError.isInstance(error) && error.code).toBe('STORE_MIGRATION_MISMATCH');
      expect((error as Error).message).toContain(file);
      // The same file with Windows line ends is the same migration.
      writeFileSync(join(dir, 'migrations', file), readFileSync(join(SUPABASE_DIR, 'migrations', file), 'utf8').replace(/\n/g, '\r\n'));
      await expect(migrate(sql, `${dir}/`)).resolves.toMatchObject({ applied: [] });
      await sql.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a database migrated by a newer release is refused, naming the unknown migrations', async () => {
    const sql = await openPglite();
    await migrate(sql);
    await sql.query(`insert into app_migrations (name, checksum) values ('29990101000000_future.sql', 'x')`);
    const error = await migrate(sql).catch((e: unknown) => e);
    expect(AppError.isInstance(error) && error.code).toBe('STORE_MIGRATION_MISMATCH');
    expect((error as Error).message).toContain('29990101000000_future.sql');
    await sql.close();
  });

  test('every migration that adds or changes store functions bumps the schema version the code requires', () => {
    const files = readdirSync(join(SUPABASE_DIR, 'migrations')).sort();
    let version = 0;
    let lastFunctionFile = '';
    let lastBumpFile = '';
    for (const file of files) {
      const sql = readFileSync(join(SUPABASE_DIR, 'migrations', file), 'utf8');
      const bump = /function app_schema_version\(\)[\s\S]*?'version',\s*(\d+)/.exec(sql);
      if (bump) {
        expect(Number(bump[1]), `${file} raises the version`).toBeGreaterThan(version);
        version = Number(bump[1]);
        lastBumpFile = file;
      }
      if (/create (or replace )?function (?!app_schema_version)/.test(sql)) lastFunctionFile = file;
    }
    expect(lastBumpFile >= lastFunctionFile, `${lastFunctionFile} adds functions without bumping app_schema_version`).toBe(true);
    expect(REQUIRED_SCHEMA_VERSION).toBe(version);
  });
});
