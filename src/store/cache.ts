import { camelize } from './rows.js';
import type { RpcTransport } from './rpc.js';

export interface CacheEntry {
  id: string;
  workspaceId: string;
  agentRef: string;
  signature: string;
  question: string;
  answerText: string;
  sourceRunId: string | null;
  hits: number;
  expiresAt: string;
}

/** The response cache (see response_cache in SQL): keyed by workspace, agent version and question signature. */
export class CacheStore {
  constructor(private readonly rpc: RpcTransport) {}

  /** The live entry for this question (same signature, same agent version), or null. */
  async lookup(workspaceId: string, agentRef: string, question: string): Promise<CacheEntry | null> {
    const row = await this.rpc.call('cache_lookup', { p_workspace_id: workspaceId, p_agent_ref: agentRef, p_question: question });
    return row ? camelize<CacheEntry>(row) : null;
  }

  /** Caches the accepted answers (to new conversations) of these agent versions since a time; returns how many. */
  async fill(agentRefs: string[], since: Date, ttlSeconds: number): Promise<number> {
    if (agentRefs.length === 0) return 0;
    return Number(((await this.rpc.call('cache_fill', { p_agent_refs: agentRefs, p_since: since, p_ttl_seconds: ttlSeconds })) as { stored: number }).stored);
  }

  /** Specialists that keep getting the same questions and answer them well. */
  async candidates(minOccurrences: number): Promise<Array<{ agentId: string; patterns: number; occurrences: number }>> {
    return ((await this.rpc.call('cache_candidates', { p_min_occurrences: minOccurrences })) as Array<{ agent_id: string; patterns: number; occurrences: number }>)
      .map((c) => ({ agentId: c.agent_id, patterns: Number(c.patterns), occurrences: Number(c.occurrences) }));
  }

  async hit(entryId: string, runId: string): Promise<void> {
    await this.rpc.call('cache_hit', { p_entry_id: entryId, p_run_id: runId });
  }
}
