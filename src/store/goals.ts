import type { Plan } from './task-graph.js';
import { camelize, numberOrNull } from './rows.js';
import type { RpcTransport } from './rpc.js';

export type GoalStatus = 'planning' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled' | 'interrupted' | 'stopped';
export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'blocked' | 'cancelled' | 'skipped';

export interface TaskRow {
  goalId: string;
  taskId: string;
  title: string;
  instructions: string;
  specialty: string;
  dependsOn: string[];
  level: string;
  doneWhen: string | null;
  agentId: string | null;
  status: TaskStatus;
  result: string | null;
  errorClass: string | null;
  attempts: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number | null;
}

export interface GoalRow {
  id: string;
  runId: string;
  workspaceId: string;
  channelId: string | null;
  threadTs: string | null;
  userId: string | null;
  requestText: string;
  plan: Plan;
  status: GoalStatus;
  stopReason: string | null;
  budget: Record<string, number>;
  usage: Record<string, number>;
  progressTs: string | null;
  owner: string | null;
  cancelRequestedAt: string | null;
  tasks: TaskRow[];
}

export interface TaskChanges {
  status: TaskStatus;
  agentId?: string;
  result?: string;
  errorClass?: string;
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number | null;
  attempts?: number;
}

function toGoal(row: unknown): GoalRow {
  const goal = camelize<GoalRow>(row);
  goal.tasks = (goal.tasks as unknown[]).map((t) => {
    const task = camelize<TaskRow>(t);
    task.costUsd = numberOrNull(task.costUsd);
    return task;
  });
  return goal;
}

/**
 * Goals and their tasks. Writes carry the owner (the process running the goal); a process whose lease
 * expired and was taken over gets null back and must stop — two instances never drive one goal.
 */
export class GoalStore {
  constructor(private readonly rpc: RpcTransport) {}

  async create(input: {
    runId: string; workspaceId: string; requestText: string; plan: Plan; budget: Record<string, number>; owner: string;
    channelId?: string; threadTs?: string; userId?: string; leaseSeconds?: number;
  }): Promise<GoalRow> {
    return toGoal(await this.rpc.call('goal_create', {
      p_run_id: input.runId, p_workspace_id: input.workspaceId, p_request_text: input.requestText, p_plan: input.plan,
      p_budget: input.budget, p_owner: input.owner, p_channel_id: input.channelId, p_thread_ts: input.threadTs,
      p_user_id: input.userId, p_lease_seconds: input.leaseSeconds,
    }));
  }

  /** Null when this owner no longer holds the goal. `cancelRequested` reports a Cancel click from any instance. */
  async update(goalId: string, owner: string, changes: {
    status?: GoalStatus; stopReason?: string; usage?: Record<string, number>; progressTs?: string; finalAnswer?: string; leaseSeconds?: number;
  } = {}): Promise<{ status: GoalStatus; cancelRequested: boolean } | null> {
    const row = (await this.rpc.call('goal_update', {
      p_goal_id: goalId, p_owner: owner, p_status: changes.status, p_stop_reason: changes.stopReason, p_usage: changes.usage,
      p_progress_ts: changes.progressTs, p_final_answer: changes.finalAnswer, p_lease_seconds: changes.leaseSeconds,
    })) as { status: GoalStatus; cancel_requested: boolean } | null;
    return row ? { status: row.status, cancelRequested: row.cancel_requested } : null;
  }

  async updateTask(goalId: string, taskId: string, owner: string, changes: TaskChanges): Promise<boolean> {
    const row = await this.rpc.call('task_update', {
      p_goal_id: goalId, p_task_id: taskId, p_owner: owner, p_status: changes.status, p_agent_id: changes.agentId,
      p_result: changes.result, p_error_class: changes.errorClass, p_tokens_in: changes.tokensIn, p_tokens_out: changes.tokensOut,
      p_cost_usd: changes.costUsd ?? undefined, p_attempts: changes.attempts,
    });
    return row !== null;
  }

  async get(goalId: string): Promise<GoalRow | null> {
    const row = await this.rpc.call('goal_get', { p_goal_id: goalId });
    return row ? toGoal(row) : null;
  }

  async requestCancel(goalId: string, userId: string): Promise<{ ok: boolean; status: GoalStatus | null; ownerUser?: string | null }> {
    const row = (await this.rpc.call('goal_request_cancel', { p_goal_id: goalId, p_user_id: userId })) as
      { ok: boolean; status: GoalStatus | null; owner_user?: string | null };
    return { ok: row.ok, status: row.status, ...(row.owner_user !== undefined ? { ownerUser: row.owner_user } : {}) };
  }

  /** Goals whose owner's lease expired, now owned by `owner`. */
  async claimStale(owner: string, leaseSeconds = 60, limit = 10): Promise<GoalRow[]> {
    const rows = (await this.rpc.call('goal_claim_stale', { p_owner: owner, p_lease_seconds: leaseSeconds, p_limit: limit })) as unknown[];
    return rows.map(toGoal);
  }

  async release(goalId: string, owner: string): Promise<void> {
    await this.rpc.call('goal_release', { p_goal_id: goalId, p_owner: owner });
  }

  async workspaceBudget(workspaceId: string): Promise<Record<string, number>> {
    return (await this.rpc.call('workspace_goal_budget', { p_workspace_id: workspaceId })) as Record<string, number>;
  }
}
