import type { RunMeter } from '../model/run-meter.js';
import type { Logger } from '../ops/logger.js';
import type { AgentSource } from '../orchestrator/direct-answer.js';
import type { Surface } from '../surface/surface.js';
import type { RunLog } from '../runlog/run-log.js';
import type { AgentConfig, AgentStore } from '../store/agents.js';
import type { GoalRow, GoalStatus, GoalStore } from '../store/goals.js';
import type { BudgetLimit, GoalBudget } from './budget.js';
import type { Plan, PlanTask } from './plan.js';

/** The shapes a goal run is described with: what the runner needs, what a request carries, what comes back. */
export interface GoalRunnerDeps {
  store: { goals: GoalStore; agents: Pick<AgentStore, 'search'> };
  runLog: Pick<RunLog, 'step'>;
  agents: AgentSource;
  logger: Logger;
  defaults: GoalBudget;
  /** This process's identity for goal leases. */
  owner: string;
  /** Drafts a specialist when no registered one fits a task (bounded by the spawn budget); charged to the goal's run. */
  spawn?: (description: string, meter: RunMeter) => Promise<AgentConfig>;
  leaseSeconds?: number;
  now?: () => number;
}

export interface GoalRequest {
  runId: string;
  workspaceId: string;
  userId: string;
  request: string;
  channelId?: string;
  threadTs?: string;
  surface: Surface;
  plan: Plan;
  /** The goal's run meter: its tokens and cost (planning included) count against the goal's budget. */
  meter: RunMeter;
  /** Serve every task on this model (a budget downgrade) instead of each specialist's own. */
  model?: string;
  /** Resume: the stored goal whose finished tasks are kept. */
  resume?: GoalRow;
}

export interface GoalOutcome {
  goalId: string;
  status: GoalStatus;
  /** The task results the synthesis step turns into one answer, in plan order. */
  results: Array<{ task: PlanTask; result: string }>;
  /** Sentences for the user about what could not be done and why. */
  notes: string[];
  agentIds: string[];
  stoppedBy?: BudgetLimit | 'cancelled' | 'lost_ownership';
  /** The budget the goal ran under (the synthesis call checks it too). */
  budget: GoalBudget;
}
