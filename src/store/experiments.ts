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

/** count, sum and sum of squares of one metric in one arm (the shape the sequential test reads). */
export interface MetricTotals { count: number; sum: number; sumOfSquares: number }
export interface ArmTotals { n: number; success: MetricTotals; score: MetricTotals; cost: MetricTotals; latency: MetricTotals }

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

  /** Running totals per arm (count, sum, sum of squares) of success, score, cost and latency, over settled runs. */
  async stats(experimentId: string): Promise<Partial<Record<'control' | 'candidate', ArmTotals>>> {
    const row = (await this.rpc.call('experiment_stats', { p_experiment_id: experimentId })) as Record<string, Record<string, unknown>>;
    const totals = (x: unknown): MetricTotals => {
      const t = x as { count: unknown; sum: unknown; sumSquares: unknown };
      return { count: Number(t.count), sum: Number(t.sum), sumOfSquares: Number(t.sumSquares) };
    };
    return Object.fromEntries(Object.entries(row).map(([arm, x]) => [arm, {
      n: Number(x.n), success: totals(x.success), score: totals(x.score), cost: totals(x.cost), latency: totals(x.latency),
    }]));
  }

  /** Score totals of what a promoted change now serves, since a time (outside experiments): the rollback watch. */
  async targetStats(kind: Experiment['targetKind'], id: string, version: number | null, since: Date): Promise<MetricTotals> {
    const t = (await this.rpc.call('target_stats', { p_kind: kind, p_id: id, p_version: version ?? undefined, p_since: since })) as
      { count: unknown; sum: unknown; sumSquares: unknown };
    return { count: Number(t.count), sum: Number(t.sum), sumOfSquares: Number(t.sumSquares) };
  }

  async list(status?: ExperimentStatus): Promise<Array<Experiment & { enhancement: Record<string, unknown> | null }>> {
    return ((await this.rpc.call('experiment_list', { p_status: status })) as unknown[]).map((row) => {
      const e = toExperiment(row) as Experiment & { enhancement: Record<string, unknown> | null };
      e.enhancement = e.enhancement ? camelize<Record<string, unknown>>(e.enhancement) : null;
      return e;
    });
  }

  async finish(experimentId: string, status: Exclude<ExperimentStatus, 'running'>, decision: Record<string, unknown>): Promise<boolean> {
    const row = await this.rpc.call('experiment_finish', { p_experiment_id: experimentId, p_status: status, p_decision: decision });
    return row !== null;
  }

  /** Runs since a time, and how many of them a candidate arm served (the global cap on traffic under experiment). */
  async traffic(since: Date): Promise<{ runs: number; candidate: number }> {
    const row = (await this.rpc.call('experiment_traffic', { p_since: since })) as { runs: number; candidate: number };
    return { runs: Number(row.runs), candidate: Number(row.candidate) };
  }

  /** The unit's arm (sticky once given); null when the experiment is not running. */
  async assign(experimentId: string, unitKey: string): Promise<'control' | 'candidate' | null> {
    const row = (await this.rpc.call('experiment_assign', { p_experiment_id: experimentId, p_unit_key: unitKey })) as { arm: 'control' | 'candidate' } | null;
    return row?.arm ?? null;
  }
}
