import { camelize } from './rows.js';
import type { RpcTransport } from './rpc.js';

export type ClaimResult =
  | { claimed: true; generation: number; takeover: boolean }
  | { claimed: false; holder: string; slot: string; running: boolean };

export interface AnalystRunRow {
  id: number;
  job: string;
  holder: string;
  generation: number;
  slot: string | null;
  startedAt: string;
  finishedAt: string | null;
  rowsRead: number | null;
  findings: number | null;
  proposals: number | null;
  error: string | null;
  detail: Record<string, unknown> | null;
  runId: string | null;
}

export interface ErrorKnowledge {
  signature: string;
  errorClass: string;
  messagePattern: string;
  agentId: string | null;
  model: string | null;
  occurrences: number;
  recovery: 'retry_later' | 'trim_context' | 'fallback_model' | 'split_task' | 'ask_rephrase' | null;
  recoveryAttempts: number;
  recoverySuccesses: number;
  escalatedAt: string | null;
  firstSeen: string;
  lastSeen: string;
  exampleRunId: string | null;
  exampleMessage: string | null;
  /** How a lookup matched: the exact signature, the same class for this agent and model, or the class anywhere. */
  match?: 'signature' | 'class_agent_model' | 'class';
}

/** A job result that was refused because another instance took the job over (its generation is newer). */
export type Guarded<T> = ({ ok: true } & T) | { ok: false; reason: 'stale_generation' };

/**
 * Scheduler leases (one run per cron slot across instances), analyst runs and watermarks, and the analysts'
 * SQL: each analyst is one function that reads what is new in the run log and writes what it found, refused
 * when the caller's lease generation is stale.
 */
export class AnalystStore {
  constructor(private readonly rpc: RpcTransport) {}

  async claim(job: string, holder: string, slot: Date, leaseSeconds: number): Promise<ClaimResult> {
    const row = (await this.rpc.call('job_claim', { p_job: job, p_holder: holder, p_slot: slot, p_lease_seconds: leaseSeconds })) as Record<string, unknown>;
    return camelize<ClaimResult>(row);
  }

  async renew(job: string, generation: number, leaseSeconds: number): Promise<boolean> {
    return ((await this.rpc.call('job_renew', { p_job: job, p_generation: generation, p_lease_seconds: leaseSeconds })) as { ok: boolean }).ok;
  }

  async finish(job: string, generation: number, result: {
    rowsRead?: number; findings?: number; proposals?: number; error?: string; detail?: Record<string, unknown>; runId?: string;
  }): Promise<void> {
    await this.rpc.call('job_finish', {
      p_job: job, p_generation: generation, p_rows_read: result.rowsRead, p_findings: result.findings, p_proposals: result.proposals,
      p_error: result.error, p_detail: result.detail, p_run_id: result.runId,
    });
  }

  async latestRuns(): Promise<AnalystRunRow[]> {
    return ((await this.rpc.call('analyst_runs_latest', {})) as unknown[]).map((r) => camelize<AnalystRunRow>(r));
  }

  /** The error analyst's pass (see analyst_errors in SQL). */
  async errors(job: string, generation: number, options: { minOccurrences?: number; settleSeconds?: number } = {}): Promise<Guarded<{
    rowsRead: number; signatures: number; raise: ErrorKnowledge[];
  }>> {
    const row = (await this.rpc.call('analyst_errors', {
      p_job: job, p_generation: generation, p_min_occurrences: options.minOccurrences, p_settle_seconds: options.settleSeconds,
    })) as
      { ok: boolean; reason?: string; rows_read?: number; signatures?: number; raise?: unknown[] };
    if (!row.ok) return { ok: false, reason: 'stale_generation' };
    return { ok: true, rowsRead: row.rows_read ?? 0, signatures: row.signatures ?? 0, raise: (row.raise ?? []).map((k) => camelize<ErrorKnowledge>(k)) };
  }

  async recoveryFor(errorClass: string, message: string, agentId?: string, model?: string): Promise<ErrorKnowledge | null> {
    const row = await this.rpc.call('error_recovery_for', { p_error_class: errorClass, p_message: message, p_agent_id: agentId, p_model: model });
    return row ? camelize<ErrorKnowledge>(row) : null;
  }

  async recordRecovery(signature: string, succeeded: boolean): Promise<void> {
    await this.rpc.call('error_recovery_record', { p_signature: signature, p_succeeded: succeeded });
  }

  /** Folds settled runs into the hourly rollup (agents, anomalies and the digest read it). */
  async rollup(job: string, generation: number, settleSeconds: number): Promise<Guarded<{ rowsRead: number }>> {
    const row = (await this.rpc.call('analyst_rollup', { p_job: job, p_generation: generation, p_settle_seconds: settleSeconds })) as { ok: boolean; rows_read?: number };
    return row.ok ? { ok: true, rowsRead: row.rows_read ?? 0 } : { ok: false, reason: 'stale_generation' };
  }

  /** The workflow analyst's pass (patterns, and what to induce or draft). */
  async workflows(job: string, generation: number, options: { thresholds: number[]; minSuccess: number; settleSeconds?: number }): Promise<Guarded<{
    rowsRead: number; patterns: number; induce: InductionCandidate[]; gaps: GapCandidate[];
  }>> {
    const row = (await this.rpc.call('analyst_workflows', {
      p_job: job, p_generation: generation, p_thresholds: options.thresholds, p_min_success: options.minSuccess, p_settle_seconds: options.settleSeconds,
    })) as { ok: boolean; rows_read?: number; patterns?: number; induce?: unknown[]; gaps?: unknown[] };
    if (!row.ok) return { ok: false, reason: 'stale_generation' };
    const num = <T extends object>(x: T): T => Object.fromEntries(Object.entries(x).map(([k, v]) =>
      [k, typeof v === 'string' && /^(occurrences|successRate|goalRuns|avgRating)$/.test(k) ? Number(v) : v])) as T;
    return {
      ok: true, rowsRead: row.rows_read ?? 0, patterns: row.patterns ?? 0,
      induce: (row.induce ?? []).map((c) => num(camelize<InductionCandidate>(c))),
      gaps: (row.gaps ?? []).map((c) => num(camelize<GapCandidate>(c))),
    };
  }

  async markPattern(patternId: string, change: { workflowId?: string; gapHandled?: boolean }): Promise<void> {
    await this.rpc.call('pattern_mark', { p_pattern_id: patternId, p_workflow_id: change.workflowId, p_gap_handled: change.gapHandled ?? false });
  }

  async agentPerformance(since: Date, minRuns: number): Promise<{ overall: { runs: number | null; successRate: number | null; correctedRate: number | null; avgRating: number | null }; agents: AgentPerformance[] }> {
    const row = (await this.rpc.call('agent_performance', { p_since: since, p_min_runs: minRuns })) as { overall: unknown; agents: unknown[] };
    const numbers = <T>(x: unknown): T => Object.fromEntries(Object.entries(camelize<Record<string, unknown>>(x)).map(([k, v]) =>
      [k, typeof v === 'string' && k !== 'agentId' ? Number(v) : v])) as T;
    return { overall: numbers(row.overall), agents: row.agents.map((a) => numbers<AgentPerformance>(a)) };
  }

  async complaints(agentId: string, since: Date, limit = 10): Promise<Array<{ runId: string; request: string; rating: number | null; comment: string | null; outcome: string | null }>> {
    return ((await this.rpc.call('agent_complaints', { p_agent_id: agentId, p_since: since, p_limit: limit })) as unknown[]).map((c) => camelize(c));
  }

  async anomalies(job: string, generation: number, options: { factor: number; minRuns: number }): Promise<Guarded<{ opened: Anomaly[]; closed: number }>> {
    const row = (await this.rpc.call('analyst_anomalies', { p_job: job, p_generation: generation, p_factor: options.factor, p_min_runs: options.minRuns })) as
      { ok: boolean; opened?: unknown[]; closed?: number };
    if (!row.ok) return { ok: false, reason: 'stale_generation' };
    return { ok: true, closed: Number(row.closed ?? 0), opened: (row.opened ?? []).map((a) => {
      const x = camelize<Anomaly>(a);
      return { ...x, observed: Number(x.observed), baseline: x.baseline === null ? null : Number(x.baseline), runs: Number(x.runs) };
    }) };
  }

  async digest(since: Date): Promise<Record<string, unknown>> {
    return (await this.rpc.call('digest_report', { p_since: since })) as Record<string, unknown>;
  }

  async errorKnowledge(limit = 20): Promise<ErrorKnowledge[]> {
    return ((await this.rpc.call('error_knowledge_list', { p_limit: limit })) as unknown[]).map((k) => camelize<ErrorKnowledge>(k));
  }
}

export interface PatternCandidate {
  patternId: string;
  workspaceId: string;
  signature: string;
  examples: string[];
  occurrences: number;
  successRate: number | null;
}

export interface InductionCandidate extends PatternCandidate {
  goalRuns: number;
  plan: import('./task-graph.js').Plan;
}

export interface GapCandidate extends PatternCandidate {
  avgRating: number | null;
  agents: Record<string, number>;
  why: 'low_success' | 'low_rating' | 'general_only';
}

export interface AgentPerformance {
  agentId: string;
  version: number;
  runs: number;
  successRate: number | null;
  correctedRate: number | null;
  costPerRun: number | null;
  avgLatencyMs: number | null;
  p95Ms: number | null;
  avgRating: number | null;
  ratings: number;
}

export interface Anomaly {
  scope: string;
  metric: 'error_rate' | 'p95_latency' | 'cost_per_run' | 'correction_rate';
  baseline: number | null;
  observed: number;
  runs: number;
  exampleRunIds: string[];
}
