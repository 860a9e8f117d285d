import { camelize } from './rows.js';
import type { RpcTransport } from './rpc.js';

export type EnhancementSource = 'self' | 'peer' | 'user' | 'analytics' | 'error' | 'emergent';
export type EnhancementTarget = 'agent' | 'workflow' | 'routing' | 'cache';
export type EnhancementStatus = 'proposed' | 'screening' | 'testing' | 'applied' | 'rejected' | 'rolled_back';

/** One proposed change: nothing changes behaviour without one (the improvement loop decides it). */
export interface Enhancement {
  id: string;
  source: EnhancementSource;
  targetKind: EnhancementTarget;
  targetId: string | null;
  category: string | null;
  change: Record<string, unknown>;
  expectedImpact: string | null;
  status: EnhancementStatus;
  measuredImpact: Record<string, unknown> | null;
  reasons: string | null;
  sourceRunId: string | null;
  experimentId: string | null;
  approvedBy: string | null;
  createdAt: string;
  updatedAt: string;
  decidedAt: string | null;
}

export interface ReplaySample {
  runId: string;
  request: string;
  answer: string;
  outcome: string | null;
  score: number | null;
  costUsd: number;
  latencyMs: number | null;
  workspaceId: string;
}

const toEnhancement = (row: unknown): Enhancement => camelize<Enhancement>(row);

export class EnhancementStore {
  constructor(private readonly rpc: RpcTransport) {}

  /** Files a proposal; null when one of the same category is already open for the target. */
  async propose(input: {
    source: EnhancementSource; targetKind: EnhancementTarget; targetId?: string; category: string; change: Record<string, unknown>;
    expectedImpact?: string; reasons?: string; sourceRunId?: string;
  }): Promise<Enhancement | null> {
    const row = (await this.rpc.call('enhancement_propose', {
      p_source: input.source, p_target_kind: input.targetKind, p_target_id: input.targetId, p_category: input.category, p_change: input.change,
      p_expected_impact: input.expectedImpact, p_reasons: input.reasons, p_source_run_id: input.sourceRunId,
    })) as { created: boolean; enhancement?: unknown };
    return row.created ? camelize<Enhancement>(row.enhancement) : null;
  }

  async update(id: string, change: {
    status?: EnhancementStatus; measuredImpact?: Record<string, unknown>; reasons?: string; experimentId?: string; approvedBy?: string;
    change?: Record<string, unknown>;
  }): Promise<Enhancement | null> {
    const row = await this.rpc.call('enhancement_update', {
      p_enhancement_id: id, p_status: change.status, p_measured_impact: change.measuredImpact, p_reasons: change.reasons,
      p_experiment_id: change.experimentId, p_approved_by: change.approvedBy, p_change: change.change,
    });
    return row ? toEnhancement(row) : null;
  }

  async list(statuses?: EnhancementStatus[], limit = 50): Promise<Enhancement[]> {
    return ((await this.rpc.call('enhancement_list', { p_statuses: statuses, p_limit: limit })) as unknown[]).map(toEnhancement);
  }

  async get(id: string): Promise<Enhancement | null> {
    const row = await this.rpc.call('enhancement_get', { p_enhancement_id: id });
    return row ? toEnhancement(row) : null;
  }

  /** Recent answered requests (with their answers) of one agent, or of one request pattern: what screening replays. */
  async replaySample(target: { agentId?: string; signature?: string; since?: Date; limit?: number }): Promise<ReplaySample[]> {
    return ((await this.rpc.call('replay_sample', {
      p_agent_id: target.agentId, p_workflow_signature: target.signature, p_since: target.since, p_limit: target.limit,
    })) as unknown[]).map((r) => {
      const x = camelize<ReplaySample>(r);
      return { ...x, costUsd: Number(x.costUsd), score: x.score === null ? null : Number(x.score) };
    });
  }
}
