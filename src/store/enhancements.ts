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
}
