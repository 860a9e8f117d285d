import type { RpcTransport } from './rpc.js';

/**
 * One journal record as run_journal_replay reads it: id, type, run_id, at, and the fields of the live function it
 * stands for, named as that function's arguments without the p_ prefix (see
 * supabase/migrations/20261201000800_run_journal_replay.sql).
 */
export interface ReplayRow {
  id: string;
  type: 'start' | 'serving' | 'step' | 'finish' | 'answer';
  run_id: string;
  at: string;
  [field: string]: unknown;
}

export interface ReplayResult {
  applied: number;
  /** Already in the database (an earlier replay of the same records): left as they are. */
  skipped: number;
  /** Records of a run that is not in the database (its start was dropped by the journal's bound): skipped. */
  orphaned: number;
  /** Journaled runs whose Slack key another run already held (two instances answered one event). */
  duplicates: Array<{ runId: string; duplicateOf: string }>;
}

/** Writes journaled run-log records into the run log, idempotently, in one transaction per call. */
export class RunReplayStore {
  constructor(private readonly rpc: RpcTransport) {}

  async replay(rows: ReplayRow[]): Promise<ReplayResult> {
    const result = (await this.rpc.call('run_journal_replay', { p_records: rows })) as {
      applied: number; skipped: number; orphaned?: number; duplicates: Array<{ run_id: string; duplicate_of: string }>;
    };
    return {
      applied: result.applied, skipped: result.skipped, orphaned: result.orphaned ?? 0,
      duplicates: result.duplicates.map((d) => ({ runId: d.run_id, duplicateOf: d.duplicate_of })),
    };
  }
}
