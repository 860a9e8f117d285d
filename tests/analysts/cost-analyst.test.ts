import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CostAnalyst } from '../../src/analysts/cost-analyst.js';
import { Scheduler } from '../../src/analysts/scheduler.js';
import { ModelCatalogue } from '../../src/config/models.js';
import { NO_ADMIN_NOTICES } from '../../src/ops/admin-notices.js';
import { RunLog } from '../../src/runlog/run-log.js';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';

// The cost analyst's cheaper-model proposals over a seeded run log (real PGlite, real SQL): a downgrade that was
// rejected is not filed again on every pass, only once the agent has twice the evidence it was rejected on.
const logger = pino({ level: 'silent' });
let sql: SqlClient;
let store: Store;

beforeAll(async () => {
  sql = await openPglite();
  await migrate(sql);
  store = new Store(new SqlTransport('pglite', sql, classifySqlError));
});
afterAll(async () => { await store?.close(); });

/** Finished direct answers of the seeded summarizer v1 (on the default model), in the last hour. */
async function seedAnswers(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const at = new Date(Date.now() - 60_000).toISOString();
    await sql.query(`insert into runs (id, workspace_id, surface, user_id, request_text, kind, status, route, agent_ids, agent_versions, cost_usd, latency_ms,
        started_at, finished_at) values ($1, 'T1', 'test', 'U1', $2, 'message', 'succeeded', 'direct', array['summarizer'],
        jsonb_build_array(jsonb_build_object('agent_id', 'summarizer', 'version', 1)), 0.002, 900, $3, $3)`,
    [randomUUID(), `summarize the notes of meeting ${i}`, at]);
  }
}

async function costPass(): Promise<number> {
  const analyst = new CostAnalyst({ store, notices: NO_ADMIN_NOTICES, catalogue: new ModelCatalogue(), defaultModel: 'gpt-4.1', propose: true });
  const [outcome] = await new Scheduler({ store, runLog: new RunLog(store.runs, new ModelCatalogue(), logger), jobs: [analyst], schedules: {}, holder: 'test', logger })
    .runNow(['cost']);
  expect(outcome).toMatchObject({ claimed: true });
  return (outcome as { result: { proposals: number } }).result.proposals;
}

const summarizerDowngrades = async () => (await store.enhancements.list(undefined, 100))
  .filter((e) => e.category === 'cheaper_model' && e.targetId === 'summarizer');

describe('cost analyst: cheaper-model proposals', () => {
  test('a rejected downgrade is filed again only once the agent has twice the runs it was rejected on', async () => {
    await seedAnswers(40);
    expect(await costPass()).toBe(1);
    const [first] = await summarizerDowngrades();
    expect(first).toMatchObject({ status: 'proposed', change: { model: 'gpt-4.1-mini', from: 'gpt-4.1', baseVersion: 1, runs: 40 } });

    // While it is open, nothing new is filed (the store's own rule); once rejected, the same evidence is not enough.
    expect(await costPass()).toBe(0);
    await store.enhancements.update(first!.id, { status: 'rejected', reasons: 'screening: 0 better, 3 worse' });
    expect(await costPass()).toBe(0);
    await seedAnswers(30); // 70 runs: still under twice 40
    expect(await costPass()).toBe(0);
    expect(await summarizerDowngrades()).toHaveLength(1);

    await seedAnswers(10); // 80 runs: twice the evidence
    expect(await costPass()).toBe(1);
    const again = (await summarizerDowngrades()).filter((e) => e.status === 'proposed');
    expect(again).toHaveLength(1);
    expect(again[0]!.change).toMatchObject({ model: 'gpt-4.1-mini', runs: 80 });
  });
});
