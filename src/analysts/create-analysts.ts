import type { Config } from '../config/load-config.js';
import type { RunMeter } from '../model/run-meter.js';
import type { Logger } from '../ops/logger.js';
import type { RunLog } from '../runlog/run-log.js';
import type { AgentConfig } from '../store/agents.js';
import type { Store } from '../store/store.js';
import { AgentAnalyst } from './agent-analyst.js';
import { AnomalyAnalyst } from './anomaly-analyst.js';
import { CostAnalyst } from './cost-analyst.js';
import { DigestJob } from './digest.js';
import { ErrorAnalyst } from './error-analyst.js';
import type { AdminNotices, AnalystJob, JobName } from './job.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { WorkflowAnalyst } from './workflow-analyst.js';
import type { ExperimentLoop } from '../improvement/experiment-loop.js';
import { ImproverJob } from './improver-job.js';

export interface AnalystDeps {
  store: Store;
  runLog: RunLog;
  logger: Logger;
  notices: AdminNotices;
  /** This process's identity (lease holder). */
  holder: string;
  /** The improvement loop (absent with LEARNING_ENABLED=false or no model): the improver job runs it. */
  loop?: ExperimentLoop;
  /** Drafts a candidate specialist for a capability gap (spawnSpecialist, status candidate); absent without a model. */
  draft?: (need: string, meter: RunMeter) => Promise<AgentConfig>;
  /** Each analyst run's end (for Prometheus). */
  onRun?: SchedulerOptions['onRun'];
}

/**
 * The analysts this configuration runs, on their schedules. With LEARNING_ENABLED=false only the cost analyst
 * remains (budgets and alerts are controls, not learning) and it proposes nothing; every other job is off, and so
 * is its manual trigger.
 */
export function createAnalysts(config: Config, deps: AnalystDeps): { scheduler: Scheduler; jobs: JobName[] } {
  const learning = config.learning.enabled;
  const a = config.analysts;
  const settleSeconds = config.learning.outcomeWindowSeconds;
  const jobs: AnalystJob[] = [
    new CostAnalyst({ store: deps.store, notices: deps.notices, catalogue: config.model.catalogue, defaultModel: config.model.defaultModel, propose: learning }),
  ];
  if (learning) {
    jobs.unshift(new ErrorAnalyst({ store: deps.store, notices: deps.notices, escalateAfter: a.escalateAfter }));
    jobs.push(
      new WorkflowAnalyst({ store: deps.store, thresholds: a.patternThresholds, minSuccess: a.patternMinSuccess, ...(deps.draft ? { draft: deps.draft } : {}) }),
      new AgentAnalyst({ store: deps.store, settleSeconds, minRuns: 20, margin: 0.1 }),
      new AnomalyAnalyst({ store: deps.store, notices: deps.notices, settleSeconds, factor: a.anomalyFactor, minRuns: 10 }),
      new DigestJob({ store: deps.store, notices: deps.notices }),
    );
    if (deps.loop) jobs.push(new ImproverJob({ store: deps.store, loop: deps.loop, windowSeconds: settleSeconds, cacheMinOccurrences: a.patternThresholds[1]! }));
  }
  const schedules = Object.fromEntries(jobs.flatMap((job) => {
    const expression = a.schedules[job.name];
    return expression ? [[job.name, expression]] : [];
  })) as Partial<Record<JobName, string>>;
  const scheduler = new Scheduler({
    store: deps.store, runLog: deps.runLog, jobs, schedules, holder: deps.holder, logger: deps.logger.child({ component: 'analysts' }),
    maxCostUsd: a.maxCostUsd, timezone: a.timezone, ...(deps.onRun ? { onRun: deps.onRun } : {}),
  });
  return { scheduler, jobs: jobs.map((job) => job.name) };
}
