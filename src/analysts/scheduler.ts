import cron, { type ScheduledTask } from 'node-cron';
import { asAppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import { withRun } from '../ops/run-context.js';
import type { RunLog } from '../runlog/run-log.js';
import type { AnalystStore } from '../store/analysts.js';
import type { AnalystJob, JobName, JobResult } from './job.js';

export interface SchedulerOptions {
  store: { analysts: Pick<AnalystStore, 'claim' | 'renew' | 'finish'> };
  runLog: Pick<RunLog, 'start' | 'finish' | 'meter' | 'recordServing'>;
  jobs: AnalystJob[];
  /** A cron expression per job; a job without one (or 'off') is not scheduled (it can still be run by hand). */
  schedules: Partial<Record<JobName, string>>;
  /** This process's identity (host:pid:random), the lease holder. */
  holder: string;
  logger: Logger;
  /** How long a claimed slot is held without a heartbeat before another instance may take it over. */
  leaseSeconds?: number;
  /** Caps what one analyst run may spend on model calls (ANALYST_MAX_COST_USD). */
  maxCostUsd?: number;
  timezone?: string;
  /** Told once per claimed run: the job, how it ended and how long it took (Prometheus). */
  onRun?: (job: JobName, outcome: 'succeeded' | 'failed' | 'taken_over', seconds: number) => void;
}

export type SlotOutcome =
  | { job: JobName; claimed: true; result: JobResult; runId: string; takeover: boolean }
  | { job: JobName; claimed: true; error: string; runId?: string }
  | { job: JobName; claimed: false; reason: string };

/**
 * Runs the analysts on their cron schedules, exactly once per slot across instances: each tick claims the slot's
 * lease (a guarded upsert, job_claim); the winner runs the analyst as a run of kind 'analyst' (surface scheduler)
 * so its model spend is in the run log like a user's, renews the lease while it works, and finishes it with what
 * it found. A failing analyst is recorded and logged; it never touches answering.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly leaseSeconds: number;

  constructor(private readonly options: SchedulerOptions) {
    this.leaseSeconds = options.leaseSeconds ?? 300;
  }

  start(): void {
    for (const job of this.options.jobs) {
      const expression = this.options.schedules[job.name];
      if (!expression) continue;
      const task = cron.schedule(expression, async (context) => { await this.runSlot(job.name, context.date); }, {
        name: `analyst:${job.name}`, noOverlap: true, ...(this.options.timezone ? { timezone: this.options.timezone } : {}),
      });
      task.unref();
      this.tasks.push(task);
    }
    if (this.tasks.length > 0) this.options.logger.info({ jobs: this.options.jobs.map((j) => j.name).filter((n) => this.options.schedules[n]).join(', ') }, 'analysts scheduled');
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.splice(0).map((task) => task.destroy()));
  }

  /** What /improver analyze needs: the jobs configured here, and a way to run them now. */
  handle(jobs: JobName[]): { jobs: JobName[]; runNow(names: JobName[]): Promise<SlotOutcome[]> } {
    return { jobs, runNow: (names) => this.runNow(names) };
  }

  /** Runs the named analysts now, in order (npm run analyze, /improver analyze): each claims its own slot. */
  async runNow(names: JobName[]): Promise<SlotOutcome[]> {
    const outcomes: SlotOutcome[] = [];
    for (const name of names) outcomes.push(await this.runSlot(name, new Date()));
    return outcomes;
  }

  /** One slot of one job: claim, run, finish. */
  async runSlot(name: JobName, slot: Date): Promise<SlotOutcome> {
    const { store, runLog, logger } = this.options;
    const job = this.options.jobs.find((j) => j.name === name);
    if (!job) return { job: name, claimed: false, reason: 'unknown analyst' };
    const claim = await store.analysts.claim(name, this.options.holder, slot, this.leaseSeconds).catch((error: unknown) => {
      logger.warn({ err: error, job: name }, 'analyst slot not claimed (store unavailable)');
      return null;
    });
    if (!claim) return { job: name, claimed: false, reason: 'the database is unavailable' };
    if (!claim.claimed) return { job: name, claimed: false, reason: claim.running ? `already running on ${claim.holder}` : 'this slot already ran' };
    const { generation, takeover } = claim;
    const claimedAt = Date.now();
    const told = (outcome: 'succeeded' | 'failed' | 'taken_over') => this.options.onRun?.(name, outcome, (Date.now() - claimedAt) / 1000);
    let runId: string | undefined;
    const beat = setInterval(() => {
      void store.analysts.renew(name, generation, this.leaseSeconds).catch(() => false);
    }, Math.max(1000, (this.leaseSeconds * 1000) / 3));
    beat.unref();
    try {
      const { run } = await runLog.start({ workspaceId: 'system', surface: 'scheduler', kind: 'analyst', requestText: `analyst ${name}`, userId: this.options.holder });
      runId = run.id;
      await runLog.recordServing(runId, { route: 'analyst', routeReason: name, detail: { kind: 'analyst', job: name, generation, takeover } });
      const jobLogger = logger.child({ job: name, generation });
      const meter = runLog.meter(runId, jobLogger).setLimit(this.options.maxCostUsd !== undefined
        ? { costUsd: this.options.maxCostUsd, label: `the analyst budget ($${this.options.maxCostUsd} per run, ANALYST_MAX_COST_USD)` } : undefined);
      const started = Date.now();
      const result = await withRun(runId, () => job.run({ job: name, generation, runId: runId!, meter, slot, logger: jobLogger }));
      const stale = result.ok === false;
      await store.analysts.finish(name, generation, {
        rowsRead: result.rowsRead, findings: result.findings, proposals: result.proposals, runId,
        detail: { summary: result.summary, ...result.detail }, ...(stale ? { error: 'another instance took this run over; nothing was written' } : {}),
      });
      await runLog.finish(runId, { status: stale ? 'cancelled' : 'succeeded', route: 'analyst', latencyMs: Date.now() - started });
      jobLogger.info({ rowsRead: result.rowsRead, findings: result.findings, proposals: result.proposals, takeover }, 'analyst finished');
      told(stale ? 'taken_over' : 'succeeded');
      return { job: name, claimed: true, result, runId, takeover };
    } catch (raw) {
      const error = asAppError(raw);
      logger.warn({ err: error, job: name, code: error.code }, 'analyst failed');
      await store.analysts.finish(name, generation, { error: `${error.code}: ${error.message}`, ...(runId ? { runId } : {}) }).catch(() => {});
      if (runId) await runLog.finish(runId, { status: 'failed', route: 'analyst', errorClass: error.code, errorMessage: error.message }).catch(() => {});
      told('failed');
      return { job: name, claimed: true, error: `${error.code}: ${error.message}`, ...(runId ? { runId } : {}) };
    } finally {
      clearInterval(beat);
    }
  }
}
