import type { RunMeter } from '../model/run-meter.js';
import type { Logger } from '../ops/logger.js';

/** The analysts that run on a schedule (one variable each: a cron expression, or off). */
export const JOB_NAMES = ['errors', 'cost', 'workflows', 'agents', 'anomalies', 'digest', 'improver'] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** What one pass of an analyst gets: its lease (every write is checked against it), its run, its meter. */
export interface JobContext {
  job: JobName;
  /** The lease generation: SQL refuses the writes of a holder whose generation is stale. */
  generation: number;
  /** The analyst's own run (kind analyst): its model calls are charged here, capped by the analyst budget. */
  runId: string;
  meter: RunMeter;
  slot: Date;
  logger: Logger;
}

export interface JobResult {
  rowsRead: number;
  findings: number;
  proposals: number;
  /** What it found, in a few lines a person reads ("3 error signatures; 1 raised to admins"). */
  summary: string[];
  detail?: Record<string, unknown>;
  /** False when another instance took the job over mid-run: nothing was written. */
  ok?: boolean;
}

export interface AnalystJob {
  readonly name: JobName;
  /** One pass over what is new in the run log. Throws on failure (recorded on the analyst run; answering is unaffected). */
  run(ctx: JobContext): Promise<JobResult>;
}

export type { AdminNotices } from '../ops/admin-notices.js';
export { NO_ADMIN_NOTICES } from '../ops/admin-notices.js';
