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
  async errors(job: string, generation: number, options: { minOccurrences?: number } = {}): Promise<Guarded<{
    rowsRead: number; signatures: number; raise: ErrorKnowledge[];
  }>> {
    const row = (await this.rpc.call('analyst_errors', { p_job: job, p_generation: generation, p_min_occurrences: options.minOccurrences })) as
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

  async errorKnowledge(limit = 20): Promise<ErrorKnowledge[]> {
    return ((await this.rpc.call('error_knowledge_list', { p_limit: limit })) as unknown[]).map((k) => camelize<ErrorKnowledge>(k));
  }
}
