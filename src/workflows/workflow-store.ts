import type { Plan } from '../goals/plan.js';
import { camelize, numberOrNull } from '../store/rows.js';
import type { RpcTransport } from '../store/rpc.js';
import { explicitWorkflowName, triggerScore } from './similarity.js';

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
/** Similarity to a trigger needed for a request to replay a workflow. */
export const DEFAULT_MATCH_THRESHOLD = 0.6;

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
 * Saved (/save-workflow) and induced (workflow analyst) workflows. The goal path calls `match` on each
 * request and replays the graph of a match, then `recordUse` with the outcome.
 */
export class WorkflowStore {
  constructor(private readonly rpc: RpcTransport, private readonly threshold = DEFAULT_MATCH_THRESHOLD) {}

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

  /**
   * The active workflow a request should replay: "run workflow <name>" (score 1), else the workflow whose
   * trigger is most similar (Jaccard of normalised words) at or above the threshold; saved ones win ties
   * over induced ones, then the most used. Null when nothing matches.
   */
  async match(workspaceId: string, text: string): Promise<{ workflow: Workflow; score: number } | null> {
    const named = explicitWorkflowName(text);
    if (named) {
      const workflow = await this.get(workspaceId, named);
      return workflow && workflow.status === 'active' ? { workflow, score: 1 } : null;
    }
    let best: { workflow: Workflow; score: number } | null = null;
    for (const workflow of await this.list(workspaceId, 'active')) {
      const score = triggerScore(text, workflow.triggers);
      if (score < this.threshold) continue;
      if (!best || score > best.score || (score === best.score && better(workflow, best.workflow))) best = { workflow, score };
    }
    return best;
  }
}

function better(a: Workflow, b: Workflow): boolean {
  if (a.kind !== b.kind) return a.kind === 'saved';
  return a.uses > b.uses;
}
