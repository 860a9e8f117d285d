import type { Config } from '../config/load-config.js';
import type { Logger } from '../ops/logger.js';
import type { RunLog } from '../runlog/run-log.js';
import type { Store } from '../store/store.js';
import { CostAnalyst } from './cost-analyst.js';
import { ErrorAnalyst } from './error-analyst.js';
import type { AdminNotices, AnalystJob, JobName } from './job.js';
import { Scheduler } from './scheduler.js';

export interface AnalystDeps {
  store: Store;
  runLog: RunLog;
  logger: Logger;
  notices: AdminNotices;
  /** This process's identity (lease holder). */
  holder: string;
}

/**
 * The analysts this configuration runs, on their schedules. With LEARNING_ENABLED=false only the cost analyst
 * remains (budgets and alerts are controls, not learning); every other job is off, and so is its manual trigger.
 */
export function createAnalysts(config: Config, deps: AnalystDeps): { scheduler: Scheduler; jobs: JobName[] } {
  const learning = config.learning.enabled;
  const jobs: AnalystJob[] = [];
  if (learning) jobs.push(new ErrorAnalyst({ store: deps.store, notices: deps.notices, escalateAfter: config.analysts.escalateAfter }));
  jobs.push(new CostAnalyst({ store: deps.store, notices: deps.notices, catalogue: config.model.catalogue, defaultModel: config.model.defaultModel, propose: learning }));
  const schedules = Object.fromEntries(jobs.flatMap((job) => {
    const expression = config.analysts.schedules[job.name];
    return expression ? [[job.name, expression]] : [];
  })) as Partial<Record<JobName, string>>;
  const scheduler = new Scheduler({
    store: deps.store, runLog: deps.runLog, jobs, schedules, holder: deps.holder, logger: deps.logger.child({ component: 'analysts' }),
    maxCostUsd: config.analysts.maxCostUsd, timezone: config.analysts.timezone,
  });
  return { scheduler, jobs: jobs.map((job) => job.name) };
}
