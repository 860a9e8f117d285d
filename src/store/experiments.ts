import { camelize, numberOrNull } from './rows.js';
import type { RpcTransport } from './rpc.js';

export type ExperimentStatus = 'running' | 'promoted' | 'rejected' | 'rolled_back' | 'stopped';

/** One live experiment: a candidate against the current version of one target, on a share of its traffic. */
export interface Experiment {
  id: string;
  enhancementId: string | null;
  targetKind: 'agent' | 'workflow' | 'cache';
  targetId: string;
  controlVersion: number | null;
  candidateVersion: number | null;
  /** Share of units (threads) in the candidate arm. */
  share: number;
  status: ExperimentStatus;
  decision: Record<string, unknown> | null;
  startedAt: string;
  endedAt: string | null;
}

function toExperiment(row: unknown): Experiment {
  const e = camelize<Experiment>(row);
  e.share = numberOrNull(e.share) ?? 0;
  return e;
}

/** Experiments and their sticky arm assignments (one running experiment per target, enforced in SQL). */
export class ExperimentStore {
  constructor(private readonly rpc: RpcTransport) {}

  async create(input: {
    targetKind: Experiment['targetKind']; targetId: string; controlVersion?: number; candidateVersion?: number; share: number; enhancementId?: string;
  }): Promise<{ ok: true; experiment: Experiment } | { ok: false; reason: 'already_running'; experiment: Experiment }> {
    const row = (await this.rpc.call('experiment_create', {
      p_target_kind: input.targetKind, p_target_id: input.targetId, p_control_version: input.controlVersion,
      p_candidate_version: input.candidateVersion, p_share: input.share, p_enhancement_id: input.enhancementId,
    })) as { ok: boolean; experiment: unknown };
    return row.ok ? { ok: true, experiment: toExperiment(row.experiment) } : { ok: false, reason: 'already_running', experiment: toExperiment(row.experiment) };
  }

  async running(targetKind: Experiment['targetKind'], targetId: string): Promise<Experiment | null> {
    const row = await this.rpc.call('experiment_running', { p_target_kind: targetKind, p_target_id: targetId });
    return row ? toExperiment(row) : null;
  }

  /** The unit's arm (sticky once given); null when the experiment is not running. */
  async assign(experimentId: string, unitKey: string): Promise<'control' | 'candidate' | null> {
    const row = (await this.rpc.call('experiment_assign', { p_experiment_id: experimentId, p_unit_key: unitKey })) as { arm: 'control' | 'candidate' } | null;
    return row?.arm ?? null;
  }
}
