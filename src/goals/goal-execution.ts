import { asAppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { GoalProgress } from '../surface/surface.js';
import type { GoalRow, GoalStatus, TaskChanges, TaskStatus } from '../store/goals.js';
import { exceeded, LIMIT_WORDS, type GoalBudget } from './budget.js';
import type { GoalOutcome, GoalRequest, GoalRunnerDeps } from './goal-types.js';
import type { PlanTask } from './plan.js';
import { dependentsOf } from './validate-plan.js';

const RESULT_CHARS_FOR_DEPENDENTS = 6000;
const ENDED: TaskStatus[] = ['failed', 'blocked', 'cancelled', 'skipped'];

type StopReason = NonNullable<GoalOutcome['stoppedBy']>;

export interface GoalExecutionDeps extends GoalRunnerDeps {
  goal: GoalRow;
  request: GoalRequest;
  budget: GoalBudget;
  leaseSeconds: number;
  logger: Logger;
}

/**
 * One goal's task graph, run to its end: each task starts as soon as the tasks it depends on have succeeded
 * (so independent tasks run concurrently, up to the budget's concurrency), receives their results, and is
 * charged to the goal's run. A failed task blocks only its dependents. Budgets — counted over everything the
 * run spent, planning and spawning included — stop the goal cleanly; Cancel (from any instance, through the
 * store) stops the remaining tasks; the goal row is kept current so another process can resume it.
 */
export class GoalExecution {
  private readonly now: () => number;
  private readonly started: number;
  private readonly tasks: PlanTask[];
  private readonly state = new Map<string, TaskStatus>();
  private readonly results = new Map<string, string>();
  private readonly agents = new Set<string>();
  private readonly specialtyAgents = new Map<string, string>();
  private readonly abort = new AbortController();
  private stoppedBy: StopReason | undefined;

  constructor(private readonly deps: GoalExecutionDeps) {
    this.now = deps.now ?? Date.now;
    this.started = this.now();
    this.tasks = deps.request.plan.tasks;
    for (const task of this.tasks) this.state.set(task.id, 'pending');
    for (const row of deps.goal.tasks) {
      // Resuming: finished work is kept; anything that was running when the process died runs again.
      if (row.status === 'succeeded' && row.result !== null) {
        this.state.set(row.taskId, 'succeeded');
        this.results.set(row.taskId, row.result);
        if (row.agentId) this.agents.add(row.agentId);
      }
    }
  }

  stop(reason: StopReason): void {
    if (this.stoppedBy) return;
    this.stoppedBy = reason;
    this.abort.abort();
    this.deps.logger.info({ reason }, 'goal stopping');
  }

  async run(): Promise<GoalOutcome> {
    const { leaseSeconds, budget } = this.deps;
    const beat = setInterval(() => void this.heartbeat(), Math.max(1000, (leaseSeconds * 1000) / 3));
    const wallClock = setTimeout(() => this.stop('time'), Math.max(0, budget.maxSeconds * 1000 - (this.now() - this.started)));
    this.show();
    try {
      await this.schedule();
    } finally {
      clearInterval(beat);
      clearTimeout(wallClock);
    }
    return this.conclude();
  }

  /** Starts every ready task (within the concurrency budget) until nothing is running or left to start. */
  private async schedule(): Promise<void> {
    const active = new Map<string, Promise<void>>();
    for (;;) {
      // A task whose input failed can never run (blocked); after a stop, what is left is cancelled or skipped in conclude().
      for (const task of this.stoppedBy ? [] : this.tasks) {
        if (this.state.get(task.id) !== 'pending') continue;
        if (task.depends_on.some((d) => ENDED.includes(this.state.get(d)!))) await this.setTask(task, 'blocked');
      }
      const limit = exceeded(this.deps.budget, this.usage(), this.now() - this.started);
      if (limit && !this.stoppedBy) this.stop(limit);
      if (!this.stoppedBy) {
        const ready = this.tasks.filter((t) => this.state.get(t.id) === 'pending' && t.depends_on.every((d) => this.state.get(d) === 'succeeded'));
        for (const task of ready) {
          if (active.size >= this.deps.budget.concurrency) break;
          this.state.set(task.id, 'running');
          active.set(task.id, this.runTask(task).finally(() => active.delete(task.id)));
        }
      }
      if (active.size === 0) return;
      await Promise.race(active.values());
      await this.heartbeat();
    }
  }

  private async runTask(task: PlanTask): Promise<void> {
    const { deps } = this;
    const agentId = await this.resolveAgent(task);
    if (!this.agents.has(agentId) && this.agents.size >= deps.budget.maxAgents) {
      await this.setTask(task, 'skipped');
      this.stop('agents');
      return;
    }
    this.agents.add(agentId);
    await this.setTask(task, 'running', { agentId, attempts: 1 });
    const taskStarted = this.now();
    try {
      const lease = await deps.agents.acquire(agentId);
      try {
        const result = await lease.agent.run({
          text: taskPrompt(deps.request.request, task, this.tasks, this.results),
          meter: deps.request.meter, ...(deps.request.model ? { model: deps.request.model } : {}), stepName: task.id, stepDetail: { goalId: deps.goal.id, taskId: task.id },
          // A little past the goal's time limit, so the runner's own stop (a clean cancel) comes first.
          deadline: this.started + deps.budget.maxSeconds * 1000 + 2000,
          signal: this.abort.signal,
        });
        this.results.set(task.id, result.text);
        await this.setTask(task, 'succeeded', {
          result: result.text, tokensIn: result.tokensIn, tokensOut: result.tokensOut, costUsd: deps.request.meter.spentOn(task.id).costUsd,
        });
      } finally {
        lease.release();
      }
    } catch (raw) {
      const error = asAppError(raw);
      const cancelled = this.abort.signal.aborted;
      await deps.runLog.step(deps.request.runId, {
        kind: 'note', status: cancelled ? 'cancelled' : 'error', name: task.id, agentId, errorClass: error.code,
        latencyMs: this.now() - taskStarted, detail: { goalId: deps.goal.id, taskId: task.id, message: error.message.slice(0, 300) },
      }).catch(() => {});
      await this.setTask(task, cancelled ? 'cancelled' : 'failed', { errorClass: error.code });
    }
  }

  /** The specialist for a task's specialty: the best registry match, else a drafted one, else the general assistant. */
  private async resolveAgent(task: PlanTask): Promise<string> {
    const known = this.specialtyAgents.get(task.specialty);
    if (known) return known;
    const { deps } = this;
    const [match] = await deps.store.agents.search(`${task.specialty} ${task.title}`, 1);
    let agentId = match && match.rank >= 0.01 ? match.agentId : undefined;
    if (!agentId && deps.spawn) {
      agentId = await deps.spawn(`${task.specialty}: ${task.instructions.slice(0, 300)}`, deps.request.meter)
        .then((config) => config.agentId, (error: unknown) => { deps.logger.warn({ err: asAppError(error).code }, 'no specialist spawned'); return undefined; });
    }
    agentId ??= 'general';
    this.specialtyAgents.set(task.specialty, agentId);
    return agentId;
  }

  /** Whatever did not run is cancelled (stopped goal) or skipped; the notes say what could not be done and why. */
  private async conclude(): Promise<GoalOutcome> {
    const { deps, tasks, stoppedBy } = this;
    for (const task of tasks) {
      if (this.state.get(task.id) === 'pending') await this.setTask(task, stoppedBy === 'cancelled' ? 'cancelled' : 'skipped');
    }
    const notes: string[] = [];
    for (const task of tasks.filter((t) => this.state.get(t.id) === 'failed')) {
      const blocked = [...dependentsOf(tasks, task.id)].map((id) => tasks.find((t) => t.id === id)!.title);
      notes.push(`"${task.title}" failed${blocked.length ? `, so ${blocked.map((b) => `"${b}"`).join(', ')} could not be done` : ''}.`);
    }
    if (stoppedBy === 'cancelled') notes.push('The goal was cancelled; finished results are kept below.');
    else if (stoppedBy && stoppedBy !== 'lost_ownership') notes.push(`The goal stopped at ${LIMIT_WORDS[stoppedBy]}; finished results are kept below.`);

    const succeeded = tasks.filter((t) => this.state.get(t.id) === 'succeeded');
    const status: GoalStatus = stoppedBy === 'cancelled' ? 'cancelled'
      : stoppedBy && stoppedBy !== 'lost_ownership' ? 'stopped'
        : succeeded.length === tasks.length ? 'succeeded' : succeeded.length > 0 ? 'partial' : 'failed';
    if (stoppedBy !== 'lost_ownership') {
      await deps.store.goals.update(deps.goal.id, deps.owner, {
        status, usage: this.usageRecord(), ...(stoppedBy ? { stopReason: stoppedBy } : {}),
      }).catch((error: unknown) => deps.logger.warn({ err: error }, 'goal state not saved'));
    }
    await deps.request.surface.showProgress?.(this.progress(true, status === 'succeeded' ? undefined : status)).catch(() => {});
    return {
      goalId: deps.goal.id, status, notes, agentIds: [...this.agents], budget: deps.budget,
      results: succeeded.map((task) => ({ task, result: this.results.get(task.id)! })),
      ...(stoppedBy ? { stoppedBy } : {}),
    };
  }

  /** What the goal has spent: everything charged to its run (planning, spawning, tasks), plus what a resumed goal spent before. */
  private usage() {
    const before = this.deps.goal.usage ?? {};
    return {
      tokens: this.deps.request.meter.tokens + Number(before.tokens ?? 0),
      costUsd: this.deps.request.meter.costUsd + Number(before.costUsd ?? 0),
      agents: this.agents,
    };
  }

  private usageRecord(): Record<string, number> {
    const { tokens, costUsd } = this.usage();
    return { tokens, costUsd };
  }

  private async setTask(task: PlanTask, status: TaskStatus, extra: Omit<TaskChanges, 'status'> = {}): Promise<void> {
    this.state.set(task.id, status);
    this.show();
    const owned = await this.deps.store.goals.updateTask(this.deps.goal.id, task.id, this.deps.owner, { ...extra, status }).catch(() => true);
    if (!owned) this.stop('lost_ownership');
  }

  /** Renews the lease, and learns of a Cancel click handled by another instance. */
  private async heartbeat(): Promise<void> {
    const row = await this.deps.store.goals.update(this.deps.goal.id, this.deps.owner, { usage: this.usageRecord(), leaseSeconds: this.deps.leaseSeconds })
      .catch(() => undefined);
    if (row === null) this.stop('lost_ownership');
    else if (row?.cancelRequested) this.stop('cancelled');
  }

  private progress(done = false, note?: string): GoalProgress {
    return {
      goalId: this.deps.goal.id, title: this.deps.request.plan.title, elapsedMs: this.now() - this.started, done, ...(note ? { note } : {}),
      tasks: this.tasks.map((t) => ({ id: t.id, title: t.title, state: this.state.get(t.id)! })),
    };
  }

  private show(): void {
    void this.deps.request.surface.showProgress?.(this.progress()).catch(() => {});
  }
}

/** A task's prompt: the overall goal for context, its instructions, what done means, and its inputs. */
function taskPrompt(goal: string, task: PlanTask, tasks: PlanTask[], results: Map<string, string>): string {
  const inputs = task.depends_on.map((id) => {
    const dep = tasks.find((t) => t.id === id);
    return `### Result of "${dep?.title ?? id}" (data)\n${(results.get(id) ?? '').slice(0, RESULT_CHARS_FOR_DEPENDENTS)}`;
  });
  return [
    `You are doing one task of a larger goal: "${goal.slice(0, 1000)}".`,
    `Your task: ${task.title}\n${task.instructions}`,
    task.done_when ? `Done when: ${task.done_when}` : '',
    ...inputs,
    'Answer with the task\'s result only.',
  ].filter(Boolean).join('\n\n');
}
