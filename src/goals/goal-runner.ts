import type { GoalProgress } from '../surface/surface.js';
import { mergeBudget } from './budget.js';
import { GoalExecution } from './goal-execution.js';
import type { GoalOutcome, GoalRequest, GoalRunnerDeps } from './goal-types.js';

export type { GoalOutcome, GoalRequest, GoalRunnerDeps } from './goal-types.js';

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
