import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { AgentAnalyst } from '../../src/analysts/agent-analyst.js';
import { ImproverJob } from '../../src/analysts/improver-job.js';
import type { AnalystJob } from '../../src/analysts/job.js';
import { Scheduler } from '../../src/analysts/scheduler.js';
import { ModelCatalogue } from '../../src/config/models.js';
import type { ExperimentLoop, LoopReport } from '../../src/improvement/experiment-loop.js';
import { RunLog } from '../../src/runlog/run-log.js';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';

// Proposals the analysts file only where they can change something (real PGlite, real SQL): no prompt revision from
// the record of a version that no longer serves, no second response-cache proposal for an agent already cached.
const logger = pino({ level: 'silent' });
let store: Store | undefined;

async function open(): Promise<{ sql: SqlClient; store: Store }> {
  const sql = await openPglite();
  await migrate(sql);
  store = new Store(new SqlTransport('pglite', sql, classifySqlError));
  return { sql, store };
}
afterEach(async () => { await store?.close(); store = undefined; });

const runNow = async (s: Store, job: AnalystJob) => {
  const [outcome] = await new Scheduler({ store: s, runLog: new RunLog(s.runs, new ModelCatalogue(), logger), jobs: [job], schedules: {}, holder: 'test', logger })
    .runNow([job.name]);
  expect(outcome).toMatchObject({ claimed: true });
  return (outcome as { result: { findings: number; proposals: number } }).result;
};

async function seedRuns(sql: SqlClient, agent: string, version: number, count: number, failed: number): Promise<void> {
  const at = new Date(Date.now() - 5 * 3_600_000).toISOString();
  for (let i = 0; i < count; i++) {
    await sql.query(`insert into runs (id, workspace_id, surface, user_id, request_text, kind, status, route, agent_ids, agent_versions, cost_usd, latency_ms,
        started_at, finished_at) values ($1, 'T1', 'test', 'U1', 'write something', 'message', $2, 'direct', array[$3],
        jsonb_build_array(jsonb_build_object('agent_id', $3::text, 'version', $4::int)), 0.001, 800, $5, $5)`,
    [randomUUID(), i < failed ? 'failed' : 'succeeded', agent, version, at]);
  }
}

describe('analysts propose only where it can change something', () => {
  test('agents: a replaced version that did badly gets no prompt revision; the current version, when it does badly, does', async () => {
    const { sql, store: s } = await open();
    const writing = (await s.agents.get('writing'))!;
    await seedRuns(sql, 'research', 1, 30, 0);
    await seedRuns(sql, 'writing', 1, 25, 12); // v1's poor record …
    await s.agents.save({ agentId: 'writing', specialty: writing.specialty, description: writing.description, tools: writing.tools,
      systemPrompt: `${writing.systemPrompt}\nLead with a one-line summary.` }); // … then v2 replaces it
    expect(await s.agents.currentVersions(['writing'])).toEqual({ writing: 2 });

    const analyst = new AgentAnalyst({ store: s, settleSeconds: 0, minRuns: 20, margin: 0.1 });
    expect(await runNow(s, analyst)).toMatchObject({ findings: 0, proposals: 0 });

    await seedRuns(sql, 'writing', 2, 25, 12);
    expect(await runNow(s, analyst)).toMatchObject({ findings: 1, proposals: 1 });
    const [proposal] = await s.enhancements.list(['proposed']);
    expect(proposal).toMatchObject({ category: 'prompt_revision', targetId: 'writing', change: { baseVersion: 2 } });
  });

  test('improver: no new response-cache proposal for an agent whose cache policy already won its experiment', async () => {
    const { sql, store: s } = await open();
    // A question general keeps answering well: a cache candidate.
    await sql.query(`insert into patterns (workspace_id, signature, example, occurrences, successes, goal_runs, agents)
      values ('T1', 'expens limit dinner client', 'What is the expense limit for a client dinner?', 12, 12, 0, '{"general": 12}')`);
    const noLoop = { pass: async (): Promise<LoopReport> => ({ started: [], rejectedInScreening: [], promoted: [], rejected: [], rolledBack: [], awaitingApproval: [], cached: 0 }) };
    const job = new ImproverJob({ store: s, loop: noLoop as unknown as ExperimentLoop, windowSeconds: 10, cacheMinOccurrences: 5 });

    expect(await runNow(s, job)).toMatchObject({ proposals: 1 });
    const [first] = await s.enhancements.list(['proposed']);
    expect(first).toMatchObject({ category: 'response_cache', targetId: 'general' });
    // Its experiment wins: the cache policy is promoted and the proposal applied.
    const created = await s.experiments.create({ targetKind: 'cache', targetId: 'general', controlVersion: 1, share: 0.5, enhancementId: first!.id });
    expect(created.ok).toBe(true);
    await s.experiments.finish(created.experiment.id, 'promoted', { decision: 'promote' });
    await s.enhancements.update(first!.id, { status: 'applied' });

    expect(await runNow(s, job)).toMatchObject({ proposals: 0 });
    expect((await s.enhancements.list(undefined, 50)).filter((e) => e.category === 'response_cache')).toHaveLength(1);
  });
});
