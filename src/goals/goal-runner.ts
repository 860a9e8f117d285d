import type { RunMeter } from '../model/run-meter.js';
import type { Logger } from '../ops/logger.js';
import type { AgentSource } from '../orchestrator/direct-answer.js';
import type { GoalProgress, Surface } from '../orchestrator/surface.js';
import type { RunLog } from '../runlog/run-log.js';
import type { AgentConfig, AgentStore } from '../store/agents.js';
import type { GoalRow, GoalStatus, GoalStore } from '../store/goals.js';
import { mergeBudget, type BudgetLimit, type GoalBudget } from './budget.js';
import { GoalExecution } from './goal-execution.js';
import type { Plan, PlanTask } from './plan.js';

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

/**
 * Runs goals' task graphs (see GoalExecution for one goal). Keeps the goals this process is running so a
 * Cancel click can stop one at once and shutdown can hand them to another process.
 */
export class GoalRunner {
  /** Goals this process is running, by id, with the function that stops them. */
  private readonly running = new Map<string, (reason: 'cancelled') => void>();

  constructor(private readonly deps: GoalRunnerDeps) {}

  /** Cancels a goal running in this process at once (other instances learn it from the store). */
  cancel(goalId: string): boolean {
    const stop = this.running.get(goalId);
    stop?.('cancelled');
    return stop !== undefined;
  }

  /** At shutdown: lets another process (or this one, restarted) resume our goals without waiting for leases. */
  async releaseAll(): Promise<number> {
    const ids = [...this.running.keys()];
    await Promise.all(ids.map((id) => this.deps.store.goals.release(id, this.deps.owner).catch(() => {})));
    return ids.length;
  }

  async run(request: GoalRequest): Promise<GoalOutcome> {
    const { deps } = this;
    const budget = mergeBudget(deps.defaults, await deps.store.goals.workspaceBudget(request.workspaceId).catch(() => ({})));
    const leaseSeconds = deps.leaseSeconds ?? 60;
    const goal = request.resume ?? await deps.store.goals.create({
      runId: request.runId, workspaceId: request.workspaceId, requestText: request.request, plan: request.plan,
      budget: { ...budget }, owner: deps.owner, userId: request.userId, leaseSeconds,
      ...(request.channelId ? { channelId: request.channelId } : {}), ...(request.threadTs ? { threadTs: request.threadTs } : {}),
    });
    const execution = new GoalExecution({
      ...deps, goal, request, budget, leaseSeconds, logger: deps.logger.child({ runId: request.runId, goalId: goal.id }),
    });
    this.running.set(goal.id, (reason) => execution.stop(reason));
    try {
      return await execution.run();
    } finally {
      this.running.delete(goal.id);
    }
  }
}

export type { GoalProgress };
