import type { AgentConfig } from '../store/agents.js';
import { asAppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { AgentSource } from '../orchestrator/orchestrator.js';
import type { GoalProgress, Surface } from '../orchestrator/surface.js';
import type { RunLog } from '../runlog/run-log.js';
import type { GoalRow, GoalStatus, TaskChanges, TaskStatus } from '../store/goals.js';
import type { Store } from '../store/store.js';
import { exceeded, LIMIT_WORDS, mergeBudget, type BudgetLimit, type GoalBudget, type GoalUsage } from './budget.js';
import type { Plan, PlanTask } from './plan.js';
import { dependentsOf } from './validate-plan.js';

export interface GoalRunnerDeps {
  store: Store;
  runLog: RunLog;
  agents: AgentSource;
  logger: Logger;
  defaults: GoalBudget;
  /** This process's identity for goal leases. */
  owner: string;
  /** Drafts a specialist when no registered one fits a task (bounded by the spawn budget). */
  spawn?: (description: string) => Promise<AgentConfig>;
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
}

const RESULT_CHARS_FOR_DEPENDENTS = 6000;

/**
 * Runs a goal's task graph: each task starts as soon as the tasks it depends on have succeeded (so
 * independent tasks run concurrently, up to the budget's concurrency), receives their results, and is
 * recorded as a run step. A failed task blocks only its dependents. Budgets stop the goal cleanly; Cancel
 * (from any instance, through the store) stops the remaining tasks; the goal row is kept current so another
 * process can resume it from its finished tasks.
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
    const now = deps.now ?? Date.now;
    const started = now();
    const leaseSeconds = deps.leaseSeconds ?? 60;
    const budget = mergeBudget(deps.defaults, await deps.store.goals.workspaceBudget(request.workspaceId).catch(() => ({})));
    const goal = request.resume ?? await deps.store.goals.create({
      runId: request.runId, workspaceId: request.workspaceId, requestText: request.request, plan: request.plan,
      budget: { ...budget }, owner: deps.owner, userId: request.userId, leaseSeconds,
      ...(request.channelId ? { channelId: request.channelId } : {}), ...(request.threadTs ? { threadTs: request.threadTs } : {}),
    });
    const logger = deps.logger.child({ runId: request.runId, goalId: goal.id });
    const tasks = request.plan.tasks;
    const state = new Map<string, TaskStatus>(tasks.map((t) => [t.id, 'pending']));
    const results = new Map<string, string>();
    for (const row of goal.tasks) {
      // Resuming: finished work is kept; anything that was running when the process died runs again.
      if (row.status === 'succeeded' && row.result !== null) { state.set(row.taskId, 'succeeded'); results.set(row.taskId, row.result); }
    }
    const usage: GoalUsage = { tokens: 0, costUsd: 0, agents: new Set(goal.tasks.flatMap((t) => (t.agentId && t.status === 'succeeded' ? [t.agentId] : []))) };
    const specialtyAgents = new Map<string, string>();
    const abort = new AbortController();
    let stoppedBy: GoalOutcome['stoppedBy'];
    const notes: string[] = [];

    const progress = (done = false, note?: string): GoalProgress => ({
      goalId: goal.id, title: request.plan.title, elapsedMs: now() - started, done, ...(note ? { note } : {}),
      tasks: tasks.map((t) => ({ id: t.id, title: t.title, state: state.get(t.id)! })),
    });
    const show = (done = false, note?: string) => { void request.surface.showProgress?.(progress(done, note)).catch(() => {}); };
    const stop = (reason: NonNullable<GoalOutcome['stoppedBy']>) => {
      if (stoppedBy) return;
      stoppedBy = reason;
      abort.abort();
      logger.info({ reason }, 'goal stopping');
    };
    const setTask = async (task: PlanTask, status: TaskStatus, extra: Omit<TaskChanges, 'status'> = {}) => {
      state.set(task.id, status);
      show();
      const owned = await deps.store.goals.updateTask(goal.id, task.id, deps.owner, { ...extra, status }).catch(() => true);
      if (!owned) stop('lost_ownership');
    };
    // Heartbeat: renews the lease, and learns of a Cancel click handled by another instance.
    const heartbeat = async () => {
      const row = await deps.store.goals.update(goal.id, deps.owner, { usage: { tokens: usage.tokens, costUsd: usage.costUsd }, leaseSeconds })
        .catch(() => undefined);
      if (row === null) stop('lost_ownership');
      else if (row?.cancelRequested) stop('cancelled');
    };
    this.running.set(goal.id, stop);
    const beat = setInterval(() => void heartbeat(), Math.max(1000, (leaseSeconds * 1000) / 3));
    const wallClock = setTimeout(() => stop('time'), Math.max(0, budget.maxSeconds * 1000 - (now() - started)));
    show();

    const resolveAgent = async (task: PlanTask): Promise<string> => {
      const known = specialtyAgents.get(task.specialty);
      if (known) return known;
      const [match] = await deps.store.agents.search(`${task.specialty} ${task.title}`, 1);
      let agentId = match && match.rank >= 0.01 ? match.agentId : undefined;
      if (!agentId && deps.spawn) {
        agentId = await deps.spawn(`${task.specialty}: ${task.instructions.slice(0, 300)}`)
          .then((config) => config.agentId, (error: unknown) => { logger.warn({ err: asAppError(error).code }, 'no specialist spawned'); return undefined; });
      }
      agentId ??= 'general';
      specialtyAgents.set(task.specialty, agentId);
      return agentId;
    };

    const runTask = async (task: PlanTask): Promise<void> => {
      const agentId = await resolveAgent(task);
      if (!usage.agents.has(agentId) && usage.agents.size >= budget.maxAgents) {
        await setTask(task, 'skipped');
        stop('agents');
        return;
      }
      usage.agents.add(agentId);
      await setTask(task, 'running', { agentId, attempts: 1 });
      const taskStarted = now();
      try {
        const lease = await deps.agents.acquire(agentId);
        try {
          const result = await lease.agent.run({
            text: taskPrompt(request.request, task, tasks, results),
            // A little past the goal's time limit, so the runner's own stop (a clean cancel) comes first.
            deadline: started + budget.maxSeconds * 1000 + 2000,
            signal: abort.signal,
          });
          const step = await deps.runLog.modelStep(request.runId, {
            kind: 'model', status: 'ok', name: task.id, agentId, agentVersion: lease.agent.config.version, model: result.model,
            tokensIn: result.tokensIn, tokensOut: result.tokensOut, latencyMs: result.latencyMs,
            detail: { goalId: goal.id, taskId: task.id, modelCalls: result.modelCalls },
          });
          usage.tokens += result.tokensIn + result.tokensOut;
          usage.costUsd += step.costUsd ?? 0;
          results.set(task.id, result.text);
          await setTask(task, 'succeeded', { result: result.text, tokensIn: result.tokensIn, tokensOut: result.tokensOut, costUsd: step.costUsd });
        } finally {
          lease.release();
        }
      } catch (raw) {
        const error = asAppError(raw);
        const cancelled = abort.signal.aborted;
        await deps.runLog.step(request.runId, {
          kind: 'model', status: cancelled ? 'cancelled' : 'error', name: task.id, agentId, errorClass: error.code,
          latencyMs: now() - taskStarted, detail: { goalId: goal.id, taskId: task.id, message: error.message.slice(0, 300) },
        }).catch(() => {});
        await setTask(task, cancelled ? 'cancelled' : 'failed', { errorClass: error.code });
      }
    };

    const active = new Map<string, Promise<void>>();
    try {
      for (;;) {
        // A task whose input failed can never run (blocked); after a stop, what is left is cancelled or skipped below.
        for (const task of stoppedBy ? [] : tasks) {
          if (state.get(task.id) !== 'pending') continue;
          const inputs = task.depends_on.map((d) => state.get(d));
          if (inputs.some((x) => x === 'failed' || x === 'blocked' || x === 'cancelled' || x === 'skipped')) await setTask(task, 'blocked');
        }
        const limit = exceeded(budget, usage, now() - started);
        if (limit && !stoppedBy) stop(limit);
        if (!stoppedBy) {
          const ready = tasks.filter((t) => state.get(t.id) === 'pending' && t.depends_on.every((d) => state.get(d) === 'succeeded'));
          for (const task of ready) {
            if (active.size >= budget.concurrency) break;
            state.set(task.id, 'running');
            active.set(task.id, runTask(task).finally(() => active.delete(task.id)));
          }
        }
        if (active.size === 0) break;
        await Promise.race(active.values());
        await heartbeat();
      }
    } finally {
      clearInterval(beat);
      clearTimeout(wallClock);
      this.running.delete(goal.id);
    }

    // Whatever did not run is cancelled (stopped goal) or skipped; say what could not be done and why.
    for (const task of tasks) {
      if (state.get(task.id) === 'pending') await setTask(task, stoppedBy === 'cancelled' ? 'cancelled' : 'skipped');
    }
    const failed = tasks.filter((t) => state.get(t.id) === 'failed');
    for (const task of failed) {
      const blocked = [...dependentsOf(tasks, task.id)].map((id) => tasks.find((t) => t.id === id)!.title);
      notes.push(`"${task.title}" failed${blocked.length ? `, so ${blocked.map((b) => `"${b}"`).join(', ')} could not be done` : ''}.`);
    }
    if (stoppedBy === 'cancelled') notes.push('The goal was cancelled; finished results are kept below.');
    else if (stoppedBy && stoppedBy !== 'lost_ownership') notes.push(`The goal stopped at ${LIMIT_WORDS[stoppedBy]}; finished results are kept below.`);

    const succeeded = tasks.filter((t) => state.get(t.id) === 'succeeded');
    const status: GoalStatus = stoppedBy === 'cancelled' ? 'cancelled'
      : stoppedBy && stoppedBy !== 'lost_ownership' ? 'stopped'
        : succeeded.length === tasks.length ? 'succeeded' : succeeded.length > 0 ? 'partial' : 'failed';
    if (stoppedBy !== 'lost_ownership') {
      await deps.store.goals.update(goal.id, deps.owner, {
        status, usage: { tokens: usage.tokens, costUsd: usage.costUsd }, ...(stoppedBy ? { stopReason: stoppedBy } : {}),
      }).catch((error: unknown) => logger.warn({ err: error }, 'goal state not saved'));
    }
    await request.surface.showProgress?.(progress(true, status === 'succeeded' ? undefined : status)).catch(() => {});
    return {
      goalId: goal.id, status, notes, agentIds: [...usage.agents],
      results: succeeded.map((task) => ({ task, result: results.get(task.id)! })),
      ...(stoppedBy ? { stoppedBy } : {}),
    };
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
