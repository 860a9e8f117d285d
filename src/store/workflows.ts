import { camelize, numberOrNull } from './rows.js';
import type { RpcTransport } from './rpc.js';
import type { Plan } from './task-graph.js';

export type WorkflowKind = 'saved' | 'induced';

export interface Workflow {
  id: string;
  workspaceId: string;
  /** A slug, unique per workspace. */
  name: string;
  description: string | null;
  kind: WorkflowKind;
  status: 'active' | 'candidate' | 'archived';
  /** The task graph replayed without a planning call. */
  graph: Plan;
  /** Example requests; later requests similar to one of them replay the workflow. */
  triggers: string[];
  sourceRunId: string | null;
  createdBy: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Usage, from the runs that replayed it. */
  uses: number;
  successes: number;
  lastUsedAt: string | null;
  ratings: number;
  avgRating: number | null;
}

export interface SaveWorkflowInput {
  workspaceId: string;
  name: string;
  graph: Plan;
  triggers: string[];
  description?: string;
  kind?: WorkflowKind;
  sourceRunId?: string;
  createdBy?: string;
  /** Overwrite a workflow of the same name instead of refusing. */
  replace?: boolean;
}

export type SaveWorkflowResult =
  | { ok: true; workflow: Workflow; replaced: boolean }
  | { ok: false; reason: 'name_taken'; existing: Workflow };

export const WORKFLOW_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function toWorkflow(row: unknown): Workflow {
  const w = camelize<Workflow>(row);
  w.uses = Number(w.uses ?? 0);
  w.successes = Number(w.successes ?? 0);
  w.ratings = Number(w.ratings ?? 0);
  w.avgRating = numberOrNull(w.avgRating);
  return w;
}

/** Success rate of a workflow's replays, null before its first use. */
export const successRate = (w: Pick<Workflow, 'uses' | 'successes'>): number | null => (w.uses > 0 ? w.successes / w.uses : null);

/**
 * Saved (/save-workflow) and induced (workflow analyst) workflows, their versions and their use. Matching a
 * request to a workflow is src/workflows/workflow-matcher.ts; this is persistence only.
 */
export class WorkflowStore {
  constructor(private readonly rpc: RpcTransport) {}

  async save(input: SaveWorkflowInput): Promise<SaveWorkflowResult> {
    const row = (await this.rpc.call('workflow_save', {
      p_workspace_id: input.workspaceId, p_name: input.name, p_graph: input.graph, p_kind: input.kind,
      p_description: input.description, p_triggers: input.triggers, p_source_run_id: input.sourceRunId,
      p_created_by: input.createdBy, p_replace: input.replace ?? false,
    })) as { ok: boolean; replaced?: boolean; workflow: unknown };
    const workflow = toWorkflow(row.workflow);
    return row.ok ? { ok: true, workflow, replaced: row.replaced === true } : { ok: false, reason: 'name_taken', existing: workflow };
  }

  async get(workspaceId: string, name: string): Promise<Workflow | null> {
    const row = await this.rpc.call('workflow_get', { p_workspace_id: workspaceId, p_name: name });
    return row ? toWorkflow(row) : null;
  }

  /** Saved and induced workflows (not archived), most used first; or only those with `status`. */
  async list(workspaceId: string, status?: Workflow['status']): Promise<Workflow[]> {
    const rows = (await this.rpc.call('workflow_list', { p_workspace_id: workspaceId, p_status: status })) as unknown[];
    return rows.map(toWorkflow);
  }

  /** True when a workflow of that name existed and is gone. */
  async remove(workspaceId: string, name: string): Promise<boolean> {
    const row = (await this.rpc.call('workflow_delete', { p_workspace_id: workspaceId, p_name: name })) as { deleted: boolean };
    return row.deleted;
  }

  /** Records that a run replayed a workflow and whether it succeeded (idempotent per run). */
  async recordUse(workflowId: string, runId: string, succeeded: boolean): Promise<void> {
    await this.rpc.call('workflow_record_use', { p_workflow_id: workflowId, p_run_id: runId, p_succeeded: succeeded });
  }

  /** The task graph of the goal a run executed; null when the run was a direct answer. */
  async planForRun(runId: string): Promise<Plan | null> {
    return ((await this.rpc.call('goal_plan_for_run', { p_run_id: runId })) as Plan | null) ?? null;
  }

  async getById(workflowId: string): Promise<Workflow | null> {
    const row = await this.rpc.call('workflow_get_by_id', { p_workflow_id: workflowId });
    return row ? toWorkflow(row) : null;
  }

  /** active (replayed for everyone), candidate (replayed only in an experiment's candidate arm) or archived; recorded with who and why. */
  async setStatus(workflowId: string, status: Workflow['status'], actor: string, reason?: string): Promise<{ ok: boolean; fromStatus?: string }> {
    const row = (await this.rpc.call('workflow_set_status', { p_workflow_id: workflowId, p_status: status, p_actor: actor, p_reason: reason })) as
      { ok: boolean; from_status?: string };
    return { ok: row.ok, ...(row.from_status ? { fromStatus: row.from_status } : {}) };
  }

  /** Restores an earlier version's graph and triggers as a new version; recorded with who and why. */
  async rollback(workflowId: string, version: number, actor: string, reason?: string): Promise<{ ok: boolean; workflow?: Workflow; reason?: string }> {
    const row = (await this.rpc.call('workflow_rollback', { p_workflow_id: workflowId, p_version: version, p_actor: actor, p_reason: reason })) as
      { ok: boolean; workflow?: unknown; reason?: string };
    return row.ok ? { ok: true, workflow: toWorkflow(row.workflow) } : { ok: false, ...(row.reason ? { reason: row.reason } : {}) };
  }
}
