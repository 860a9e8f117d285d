import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ModelCatalogue } from '../../src/config/models.js';
import type { AnalystJob, JobContext, JobResult } from '../../src/analysts/job.js';
import { Scheduler } from '../../src/analysts/scheduler.js';
import { RunLog } from '../../src/runlog/run-log.js';
import type { Store } from '../../src/store/store.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import { createTestDatabase, postgresAvailable, postgresStore } from '../support/stores.js';

// One run per cron slot across instances, on a real PostgreSQL server: three schedulers (three processes' worth
// of store connections) race for the same slot; a holder that dies mid-run is taken over once its lease expires;
// the dead holder's late write is refused by its stale generation.
const logger = pino({ level: 'silent' });
let url: string;
const stores: Store[] = [];
beforeAll(async () => { if (postgresAvailable()) url = await createTestDatabase(); });
afterAll(async () => { await Promise.all(stores.map((s) => s.close())); });

async function instance(name: string, job: AnalystJob, leaseSeconds = 300) {
  const store = await postgresStore(url);
  stores.push(store);
  const runLog = new RunLog(store.runs, new ModelCatalogue(), logger);
  return new Scheduler({ store, runLog, jobs: [job], schedules: {}, holder: name, logger, leaseSeconds });
}

/** An analyst that counts its passes and writes through the real error analyst SQL (guarded by its generation). */
function countingJob(store: () => Store, gate?: Promise<void>) {
  const passes: JobContext[] = [];
  const job: AnalystJob = {
    name: 'errors',
    async run(ctx): Promise<JobResult> {
      passes.push(ctx);
      await gate;
      const pass = await store().analysts.errors(ctx.job, ctx.generation);
      return pass.ok ? { rowsRead: pass.rowsRead, findings: pass.signatures, proposals: 0, summary: [] } : { ok: false, rowsRead: 0, findings: 0, proposals: 0, summary: [] };
    },
  };
  return { job, passes };
}

describe.skipIf(!postgresAvailable())('scheduler leases on PostgreSQL', () => {
  test('three schedulers hit the same slot: one claims it and runs; the others are told it already ran or is running', async () => {
    let s0: Store | undefined;
    const jobs = [0, 1, 2].map(() => countingJob(() => s0!));
    const schedulers = await Promise.all(jobs.map((j, i) => instance(`host-${i}`, j.job)));
    s0 = stores[0];
    const slot = new Date('2026-12-01T10:15:00Z');
    const outcomes = await Promise.all(schedulers.map((s) => s.runSlot('errors', slot)));
    expect(outcomes.filter((o) => o.claimed)).toHaveLength(1);
    expect(jobs.reduce((n, j) => n + j.passes.length, 0)).toBe(1);
    for (const o of outcomes.filter((x) => !x.claimed)) expect(o).toMatchObject({ reason: expect.stringMatching(/already ran|already running/) });
    // The next slot is a new run, claimed once more.
    const next = await Promise.all(schedulers.map((s) => s.runSlot('errors', new Date('2026-12-01T10:30:00Z'))));
    expect(next.filter((o) => o.claimed)).toHaveLength(1);
    const [row] = await stores[0]!.analysts.latestRuns();
    expect(row).toMatchObject({ job: 'errors', generation: 2, finishedAt: expect.any(String) });
  });

  test('a holder killed mid-run is taken over after its lease expires; its late write is refused (stale generation)', async () => {
    let sAlive: Store | undefined;
    const alive = countingJob(() => sAlive!);
    const aliveScheduler = await instance('healthy-host', alive.job, 60);
    sAlive = stores.at(-1);
    const deadStore = await postgresStore(url);
    stores.push(deadStore);
    // A holder that claimed the slot for 1 s and then died: no heartbeat, no finish.
    const slot = new Date('2026-12-01T11:00:00Z');
    const claimedAt = Date.now();
    const dead = await deadStore.analysts.claim('errors', 'dying-host', slot, 1);
    expect(dead).toMatchObject({ claimed: true });
    const deadGeneration = dead.claimed ? dead.generation : -1;
    // While its lease holds, nobody else may run the slot.
    expect(await aliveScheduler.runSlot('errors', slot)).toMatchObject({ claimed: false, reason: 'already running on dying-host' });
    // Once it expires, the next claim of the same slot takes it over.
    const takeover = await expect.poll(() => aliveScheduler.runSlot('errors', slot), { timeout: 5000, interval: 100 }).toMatchObject({ claimed: true });
    void takeover;
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(900);
    expect(alive.passes).toHaveLength(1);
    expect(alive.passes[0]!.generation).toBe(deadGeneration + 1);
    // The old holder comes back and tries to write its results: refused, nothing written.
    expect(await deadStore.analysts.errors('errors', deadGeneration)).toEqual({ ok: false, reason: 'stale_generation' });
    const [row] = (await sAlive!.analysts.latestRuns()).filter((r) => r.job === 'errors');
    expect(row).toMatchObject({ holder: 'healthy-host', generation: deadGeneration + 1, finishedAt: expect.any(String) });
  });

  test('on node-cron: three instances scheduled every second run each slot exactly once', async () => {
    const url2 = await createTestDatabase();
    const schedulers: Scheduler[] = [];
    for (let i = 0; i < 3; i++) {
      const store = await postgresStore(url2);
      stores.push(store);
      schedulers.push(new Scheduler({ store, runLog: new RunLog(store.runs, new ModelCatalogue(), logger), jobs: [countingJob(() => store).job],
        schedules: { errors: '* * * * * *' }, holder: `cron-${i}`, logger }));
    }
    const sql = openPostgres(url2, { max: 1 });
    const count = async () => (await sql.query<{ slots: number; runs: number }>(
      `select count(distinct slot)::int as slots, count(*)::int as runs from analyst_runs where job = 'errors'`))[0]!;
    try {
      schedulers.forEach((s) => s.start());
      await expect.poll(async () => (await count()).slots, { timeout: 8000, interval: 200 }).toBeGreaterThanOrEqual(3);
      await Promise.all(schedulers.map((s) => s.stop()));
      const { slots, runs } = await count();
      expect(runs).toBe(slots); // one run per slot, whichever instance won it
    } finally {
      await sql.close();
    }
  });
});
