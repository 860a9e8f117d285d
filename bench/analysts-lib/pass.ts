import { createAnalysts } from '../../src/analysts/create-analysts.js';
import type { JobName } from '../../src/analysts/job.js';
import type { Scheduler, SlotOutcome } from '../../src/analysts/scheduler.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Logger } from '../../src/ops/logger.js';
import { RunLog } from '../../src/runlog/run-log.js';
import type { Store } from '../../src/store/store.js';
import type { RpcFigure } from './timed-transport.js';

/** The order the brief's full pass runs them in (Scheduler.runNow(['errors', 'cost', …])). */
export const PASS_ORDER: JobName[] = ['errors', 'cost', 'workflows', 'agents', 'anomalies', 'digest'];

/** Analysts that read the log incrementally (a watermark, p_batch rows a call): a full pass calls them until they
 *  read 0 new rows. agents and anomalies share the rollup's watermark. cost and digest read fixed windows (24 h,
 *  7 days) on every call, so one call each is their whole pass. */
const DRAINS: ReadonlySet<JobName> = new Set(['errors', 'workflows', 'agents', 'anomalies']);
const MAX_CALLS = 200;

export interface CallFigure { seconds: number; rowsRead: number }
export interface AnalystFigure {
  seconds: number; calls: CallFigure[]; rowsRead: number; findings: number; proposals: number; error?: string;
  /** Draining stopped when the analyst had used its time budget: rows were left unread. */
  stoppedAfterBudget?: boolean;
}
export interface PassFigure {
  seconds: number; analysts: Record<JobName, AnalystFigure>; notices: number;
  /** Time and calls per SQL function during the pass (set by the caller, which owns the transport). */
  rpc?: Record<string, RpcFigure>;
  /** The machine's 1-minute load average when the pass ended: other work on a 2-core machine slows every figure. */
  loadAvg1m?: number;
  /** The measurement was stopped during this pass: only the calls that finished are in it. */
  incomplete?: boolean;
}

/**
 * The production wiring (createAnalysts over the default configuration: OUTCOME_WINDOW_SECONDS 600 for the rollup,
 * 1 s for the error and workflow analysts, PATTERN_THRESHOLDS 3,5,8,15, ...), a real Store and RunLog, no model:
 * the workflow analyst gets no draft function, so a capability gap is marked handled without drafting a specialist.
 */
export function benchScheduler(store: Store, logger: Logger): { scheduler: Scheduler; notices: { count: number } } {
  const config = loadConfig({});
  const notices = { count: 0 };
  const { scheduler } = createAnalysts(config, {
    store, runLog: new RunLog(store.runs, config.model.catalogue, logger), logger, holder: `bench:${process.pid}`,
    notices: { post: async () => { notices.count++; } },
  });
  return { scheduler, notices };
}

function figureOf(outcome: SlotOutcome): { rowsRead: number; findings: number; proposals: number; error?: string } {
  if (!outcome.claimed) return { rowsRead: 0, findings: 0, proposals: 0, error: `not claimed: ${outcome.reason}` };
  if ('error' in outcome) return { rowsRead: 0, findings: 0, proposals: 0, error: outcome.error };
  return { rowsRead: outcome.result.rowsRead, findings: outcome.result.findings, proposals: outcome.result.proposals };
}

export interface PassOptions {
  /** Call each incremental analyst again until a call reads 0 new rows (a full pass over a log bigger than a batch;
   *  the call that finds nothing is timed too). Off: each analyst once, as one scheduled slot runs it. */
  drain: boolean;
  /** Stop draining an analyst once its calls took this long (keeps the bench bounded when a query is slow). */
  budgetSeconds: number;
  onCall?: (name: JobName, call: CallFigure) => void;
}

/** One pass of every analyst through Scheduler.runNow, timed per call. */
export async function runPass(scheduler: Scheduler, notices: { count: number }, options: PassOptions): Promise<PassFigure> {
  const before = notices.count;
  const started = performance.now();
  const analysts = {} as Record<JobName, AnalystFigure>;
  for (const name of PASS_ORDER) {
    const figure: AnalystFigure = { seconds: 0, calls: [], rowsRead: 0, findings: 0, proposals: 0 };
    for (;;) {
      const t0 = performance.now();
      const [outcome] = await scheduler.runNow([name]);
      const seconds = (performance.now() - t0) / 1000;
      const got = figureOf(outcome!);
      const call = { seconds, rowsRead: got.rowsRead };
      figure.calls.push(call);
      options.onCall?.(name, call);
      figure.seconds += seconds;
      figure.findings += got.findings;
      figure.proposals += got.proposals;
      if (got.error) { figure.error = got.error; break; }
      // cost and digest report the rows their window covered: counted once, never summed over calls.
      figure.rowsRead = DRAINS.has(name) ? figure.rowsRead + got.rowsRead : got.rowsRead;
      if (!options.drain || !DRAINS.has(name) || got.rowsRead === 0 || figure.calls.length >= MAX_CALLS) break;
      if (figure.seconds >= options.budgetSeconds) { figure.stoppedAfterBudget = true; break; }
    }
    analysts[name] = figure;
  }
  return { seconds: (performance.now() - started) / 1000, analysts, notices: notices.count - before };
}

/** What the incremental analysts would still read now (untimed): 0 everywhere when a pass read everything. */
export async function leftUnread(scheduler: Scheduler): Promise<Partial<Record<JobName, number>>> {
  const left: Partial<Record<JobName, number>> = {};
  for (const name of PASS_ORDER.filter((n) => DRAINS.has(n))) left[name] = figureOf((await scheduler.runNow([name]))[0]!).rowsRead;
  return left;
}
