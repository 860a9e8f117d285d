import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgentAnalyst } from '../../src/analysts/agent-analyst.js';
import { AnomalyAnalyst } from '../../src/analysts/anomaly-analyst.js';
import { renderDigest } from '../../src/analysts/digest.js';
import type { AnalystJob } from '../../src/analysts/job.js';
import { Scheduler } from '../../src/analysts/scheduler.js';
import { WorkflowAnalyst } from '../../src/analysts/workflow-analyst.js';
import { SpawnBudget, spawnSpecialist } from '../../src/agents/spawn-specialist.js';
import { ModelCatalogue } from '../../src/config/models.js';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';
import { RunLog } from '../../src/runlog/run-log.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { standinModels } from '../support/models.js';
import { createTestDatabase, postgresAvailable } from '../support/stores.js';

// The analysts over a seeded run log, through the real store and its SQL, on PGlite and on PostgreSQL.
const logger = pino({ level: 'silent' });
let openai: OpenAIStandin;
beforeAll(async () => { openai = await startOpenAIStandin(); });
afterAll(async () => { await openai?.close(); });

interface SeedRun { text: string; status?: string; kind?: string; agent?: string; version?: number; hoursAgo?: number; latencyMs?: number; costUsd?: number;
  errorClass?: string; rating?: number; comment?: string; plan?: unknown; workspace?: string; outcome?: string }

/** Writes runs (and their feedback and goals) straight into the tables, with any timestamps: the analysts read them back in SQL. */
async function seed(sql: SqlClient, runs: SeedRun[]): Promise<void> {
  for (const r of runs) {
    const id = randomUUID();
    const at = new Date(Date.now() - (r.hoursAgo ?? 1) * 3_600_000).toISOString();
    const agent = r.agent ?? 'general';
    await sql.query(`insert into runs (id, workspace_id, surface, user_id, request_text, kind, status, route, agent_ids, agent_versions, error_class,
        cost_usd, latency_ms, started_at, finished_at, outcome)
      values ($1, $2, 'test', 'U1', $3, $4, $5, 'direct', array[$6], jsonb_build_array(jsonb_build_object('agent_id', $6::text, 'version', $7::int)), $8, $9, $10, $11, $11, $12)`,
    [id, r.workspace ?? 'T1', r.text, r.kind ?? 'message', r.status ?? 'succeeded', agent, r.version ?? 1, r.errorClass ?? null, r.costUsd ?? 0.001,
      r.latencyMs ?? 800, at, r.outcome ?? null]);
    if (r.rating !== undefined || r.comment) {
      await sql.query(`insert into feedback (run_id, workspace_id, user_id, rating, text, category, source) values ($1, 'T1', 'U1', $2, $3, $4, 'button')`,
        [id, r.rating ?? null, r.comment ?? null, r.comment ? 'wrong' : null]);
    }
    if (r.plan) await sql.query(`insert into goals (run_id, workspace_id, request_text, plan, status) values ($1, 'T1', $2, $3, 'succeeded')`, [id, r.text, JSON.stringify(r.plan)]);
  }
}

const transports: Array<[string, () => Promise<{ store: Store; sql: SqlClient }>, boolean]> = [
  ['PGlite', async () => { const sql = await openPglite(); await migrate(sql); return { sql, store: new Store(new SqlTransport('pglite', sql, classifySqlError)) }; }, true],
  ['PostgreSQL', async () => { const sql = openPostgres(await createTestDatabase(), { max: 4 }); await migrate(sql); return { sql, store: new Store(new SqlTransport('postgres', sql, classifySqlError)) }; }, postgresAvailable()],
];

describe.each(transports)('analysts on %s', (_name, open, available) => {
  let store: Store;
  let sql: SqlClient;
  const notices: string[] = [];
  const scheduler = (job: AnalystJob) => new Scheduler({ store, runLog: new RunLog(store.runs, new ModelCatalogue(), logger), jobs: [job], schedules: {}, holder: 'test', logger });
  beforeAll(async () => { if (available) ({ store, sql } = await open()); });
  afterAll(async () => { await store?.close(); });

  const plan = { title: 'Weekly report', tasks: [
    { id: 't1', title: 'Gather the numbers', instructions: 'gather', specialty: 'data analysis', depends_on: [], level: 'tactical', done_when: 'done' },
    { id: 't2', title: 'Write the report', instructions: 'write', specialty: 'writing', depends_on: ['t1'], level: 'operational', done_when: 'done' }] };

  test.skipIf(!available)('workflows: patterns with the right strength, an induced workflow from a recurring goal, a drafted specialist for a gap', async () => {
    await seed(sql, [
      // 9 rephrasings of one goal, 8 succeeded: a strong pattern of recurring goals.
      ...Array.from({ length: 9 }, (_, i) => ({ text: i % 2 ? 'plan: write the weekly report from the sales numbers' : 'Plan: from the sales numbers, write the weekly report!',
        kind: 'goal', status: i === 0 ? 'failed' : 'succeeded', plan })),
      // 4 of another request: weak.
      ...Array.from({ length: 4 }, () => ({ text: 'translate this paragraph into German', agent: 'writing' })),
      // 6 requests only the general assistant serves, and badly: a gap.
      ...Array.from({ length: 6 }, (_, i) => ({ text: 'reconcile the payroll ledger for contractors', status: i < 4 ? 'failed' : 'succeeded', errorClass: i < 4 ? 'GOAL_FAILED' : undefined })),
    ]);
    openai.reset();
    openai.enqueue({ json: { agentId: 'payroll-reconciliation', specialty: 'payroll reconciliation', description: 'Reconciles payroll ledgers for contractors and employees.',
      systemPrompt: `You reconcile payroll ledgers. ${'Check each entry against the contract, list mismatches with amounts, and say what is missing. '.repeat(4)}`, temperature: 0.2, tools: [] } });
    const job = new WorkflowAnalyst({
      store, thresholds: [3, 5, 8, 15], minSuccess: 0.7, settleSeconds: 0,
      draft: (need, meter) => spawnSpecialist(need, { store, models: standinModels(openai.baseURL), plannerModel: 'gpt-4.1', meter, budget: new SpawnBudget(5), logger, status: 'candidate', origin: 'analyst' }),
    });
    const [outcome] = await scheduler(job).runNow(['workflows']);
    expect(outcome).toMatchObject({ claimed: true, result: { rowsRead: 19, findings: 3, proposals: 2 } });

    const patterns = await sql.query<{ signature: string; occurrences: number; successes: number; strength: string; goal_runs: number; workflow_id: string | null }>(
      'select signature, occurrences, successes, strength, goal_runs, workflow_id from patterns order by occurrences desc');
    expect(patterns.map((p) => [p.occurrences, p.successes, p.strength, p.goal_runs])).toEqual([[9, 8, 'strong', 9], [6, 2, 'moderate', 0], [4, 4, 'weak', 0]]);

    const [workflow] = await store.workflows.list('T1', 'candidate');
    expect(workflow).toMatchObject({ kind: 'induced', status: 'candidate', graph: plan, createdBy: 'workflow-analyst' });
    expect(workflow!.triggers).toEqual(expect.arrayContaining(['plan: write the weekly report from the sales numbers']));
    expect(patterns[0]!.workflow_id).toBe(workflow!.id);
    expect(await store.workflows.list('T1', 'active')).toEqual([]); // a candidate serves nobody until an experiment promotes it

    expect(await store.agents.get('payroll-reconciliation', 1)).toMatchObject({ status: 'candidate', origin: 'analyst' });
    expect(await store.agents.get('payroll-reconciliation')).toBeNull(); // not current: not routed to
    const proposals = await sql.query<{ category: string; target_kind: string; status: string }>('select category, target_kind, status from enhancements order by category');
    expect(proposals).toEqual([{ category: 'induced_workflow', target_kind: 'workflow', status: 'proposed' }, { category: 'new_specialist', target_kind: 'routing', status: 'proposed' }]);
    // The drafting call is the analyst's spend, in the run log as an analyst run.
    const analystRun = await store.runs.get((outcome as { runId: string }).runId);
    expect(analystRun).toMatchObject({ kind: 'analyst', surface: 'scheduler', status: 'succeeded' });
    expect(analystRun!.steps.filter((s) => s.model === 'gpt-4.1')).toHaveLength(1);

    // Incremental: the same pass again reads nothing new and induces nothing twice.
    const [again] = await scheduler(job).runNow(['workflows']);
    expect(again).toMatchObject({ claimed: true, result: { rowsRead: 0, proposals: 0 } });
  });

  test.skipIf(!available)('agents: an underperforming version gets a prompt-revision proposal with its complaints', async () => {
    await seed(sql, [
      ...Array.from({ length: 30 }, () => ({ text: 'research question', agent: 'research', status: 'succeeded', hoursAgo: 5 })),
      ...Array.from({ length: 25 }, (_, i) => ({ text: 'write something', agent: 'writing', version: 1, status: i < 12 ? 'failed' : 'succeeded', hoursAgo: 5,
        ...(i < 3 ? { rating: 1, comment: 'far too wordy' } : {}) })),
    ]);
    const [outcome] = await scheduler(new AgentAnalyst({ store, settleSeconds: 0, minRuns: 20, margin: 0.1 })).runNow(['agents']);
    expect(outcome).toMatchObject({ claimed: true, result: { findings: 1, proposals: 1 } });
    const [proposal] = await sql.query<{ target_id: string; change: { baseVersion: number; complaints: Array<{ comment: string }> } }>(
      `select target_id, change from enhancements where category = 'prompt_revision'`);
    expect(proposal).toMatchObject({ target_id: 'writing', change: { baseVersion: 1 } });
    expect(proposal!.change.complaints.map((c) => c.comment)).toEqual(['far too wordy', 'far too wordy', 'far too wordy']);
  });

  test.skipIf(!available)('anomalies: an error spike against the trailing week is alerted once per episode, and the episode closes', async () => {
    // The seeded week is older than runs an earlier test already rolled up: start the rollup over, as for a fresh log.
    await sql.exec(`update analyst_watermarks set last_finished_at = '-infinity' where analyst = 'rollup'; delete from run_stats_hourly;`);
    const weekAgo = (h: number) => ({ text: 'q', agent: 'coding', hoursAgo: h, status: 'succeeded' });
    await seed(sql, [...Array.from({ length: 60 }, (_, i) => weekAgo(24 + i * 2)),
      ...Array.from({ length: 12 }, (_, i) => ({ text: 'q', agent: 'coding', hoursAgo: 0.2, status: i < 8 ? 'failed' : 'succeeded', errorClass: i < 8 ? 'MODEL_TIMEOUT' : undefined }))]);
    const job = new AnomalyAnalyst({ store, notices: { post: async (t) => { notices.push(t); } }, settleSeconds: 0, factor: 2, minRuns: 10 });
    await scheduler(job).runNow(['anomalies']);
    const alerts = notices.filter((t) => /Anomaly:.*error rate/.test(t));
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(alerts.find((t) => t.includes('`coding` v1'))).toMatch(/error rate of `coding` v1 is \d+\.\d% in the last hour \(trailing week: 0\.0%\), over 12 runs\. Example runs: `/);
    // Still high: the open episode is not alerted again.
    const before = notices.length;
    await scheduler(job).runNow(['anomalies']);
    expect(notices.length).toBe(before);
    // The hour recovers: the episode closes.
    await seed(sql, Array.from({ length: 200 }, () => ({ text: 'q', agent: 'coding', hoursAgo: 0.1, status: 'succeeded' })));
    const [closing] = await scheduler(job).runNow(['anomalies']);
    expect((closing as { result: { summary: string[] } }).result.summary[0]).toMatch(/closed/);
    const open = await sql.query<{ n: number }>(`select count(*)::int as n from anomalies where closed_at is null and scope = 'coding@1' and metric = 'error_rate'`);
    expect(open[0]!.n).toBe(0);
  });

  test.skipIf(!available)('the digest says what happened and what was learned, from the same log', async () => {
    const text = renderDigest(await store.analysts.digest(new Date(Date.now() - 86_400_000)));
    expect(text).toMatch(/^\*Daily digest — the last 24 hours\*\n\d+ requests, \d+\.\d% succeeded; latency p50/);
    expect(text).toMatch(/New workflows: `.+` \(induced, candidate\)/);
    expect(text).toMatch(/Errors: .*MODEL_TIMEOUT ×8/);
    expect(text).toMatch(/improvement proposals? filed/);
  });
});
