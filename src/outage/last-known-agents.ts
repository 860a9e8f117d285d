import { LRUCache } from 'lru-cache';
import type { AgentConfig, AgentMatch, AgentStore, AgentStatus, AgentSummary } from '../store/agents.js';
import { lastKnown } from './last-known.js';
import type { StoreReachability } from './reachability.js';

type AgentReads = Pick<AgentStore, 'get' | 'currentVersions' | 'search' | 'list' | 'statuses'>;

/**
 * The agent reads the fast path makes (routing, the serving decision, the pool), with the last answer of each kept
 * in memory so a question can still be answered while the database is down:
 * - currentVersions / get: the last-known current version of each agent and the config of each version read, so
 *   the pool builds (or keeps) the same specialist it would have served;
 * - search (the router's full-text match): the last-known matches for the same request text. A text never seen
 *   before matches nothing, so the router falls back to the general specialist (FALLBACK_AGENT_ID) — the
 *   decision taken here: no second, in-memory ranking that would route differently from SQL's;
 * - list: the last-known page.
 * Configs that changed while the database was down are seen when it is back (every read goes to it first while it
 * is reachable). A read with nothing cached still throws STORE_UNAVAILABLE, so the user is told the truth.
 */
export class LastKnownAgents implements AgentReads {
  private readonly versions = new Map<string, number>();
  private readonly configs: LRUCache<string, AgentConfig>;
  private readonly searches: LRUCache<string, AgentMatch[]>;
  private readonly lists = new LRUCache<string, { total: number; agents: AgentSummary[] }>({ max: 50 });

  constructor(private readonly agents: AgentReads, private readonly reach: StoreReachability, options: { maxConfigs?: number; maxSearches?: number } = {}) {
    this.configs = new LRUCache({ max: options.maxConfigs ?? 2000 });
    this.searches = new LRUCache({ max: options.maxSearches ?? 5000 });
  }

  /** Reads the current version and config of these agents now, so they are known before their first request. */
  async warm(agentIds: string[]): Promise<void> {
    const versions = await this.currentVersions(agentIds);
    await Promise.all(Object.entries(versions).map(([agentId, version]) => this.get(agentId, version)));
  }

  async currentVersions(agentIds: string[]): Promise<Record<string, number>> {
    return lastKnown(this.reach, async () => {
      const live = await this.agents.currentVersions(agentIds);
      for (const id of agentIds) {
        if (live[id] === undefined) this.versions.delete(id);
        else this.versions.set(id, live[id]);
      }
      return live;
    }, () => {
      if (!agentIds.every((id) => this.versions.has(id))) return undefined;
      return Object.fromEntries(agentIds.map((id) => [id, this.versions.get(id)!]));
    });
  }

  async get(agentId: string, version?: number): Promise<AgentConfig | null> {
    return lastKnown(this.reach, async () => {
      const config = await this.agents.get(agentId, version);
      if (config) this.configs.set(`${agentId}@${config.version}`, config);
      return config;
    }, () => {
      const wanted = version ?? this.versions.get(agentId);
      return wanted === undefined ? undefined : this.configs.get(`${agentId}@${wanted}`);
    });
  }

  async search(text: string, limit = 5): Promise<AgentMatch[]> {
    const key = `${limit}:${text.toLowerCase().replace(/\s+/g, ' ').trim()}`;
    return lastKnown(this.reach, async () => {
      const matches = await this.agents.search(text, limit);
      this.searches.set(key, matches);
      return matches;
    }, () => this.searches.get(key) ?? []);
  }

  async list(page: { limit?: number; offset?: number } = {}): Promise<{ total: number; agents: AgentSummary[] }> {
    const key = `${page.limit ?? ''}:${page.offset ?? ''}`;
    return lastKnown(this.reach, async () => {
      const result = await this.agents.list(page);
      this.lists.set(key, result);
      return result;
    }, () => this.lists.get(key));
  }

  /** Not cached: only the pool's purge asks, and it keeps every agent when it cannot ask. */
  statuses(keys: string[]): Promise<Record<string, AgentStatus>> {
    return this.agents.statuses(keys);
  }
}
