import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { AgentConfig, AgentStore } from '../store/agents.js';
import type { Agent } from './types.js';

export type DisposeReason = 'evict' | 'expire' | 'stale' | 'shutdown';

export interface AgentPoolOptions {
  store: { agents: Pick<AgentStore, 'get' | 'currentVersions'> };
  factory: (config: AgentConfig) => Agent;
  logger: Logger;
  /** Live agents kept at most (AGENT_POOL_MAX); the least recently used one is disposed beyond it. */
  poolMax: number;
  /** An agent unused for this long is disposed (AGENT_IDLE_TTL_HOURS). */
  idleTtlMs: number;
  /** Leases held at once per agentId; more → AGENT_BUSY. */
  maxConcurrentRunsPerAgent: number;
  /** Monotonic-enough clock for idle TTLs; injectable for tests. */
  clock?: () => number;
  /** How often start() purges idle and outdated agents. */
  purgeIntervalMs?: number;
}

export interface AgentLease {
  agent: Agent;
  /** Ends the lease; idempotent. */
  release(): void;
}

export interface PoolStats {
  live: number;
  builds: number;
  evictions: number;
  disposals: number;
}

/**
 * Live specialists, built on demand from their current config and kept in an LRU with an idle TTL.
 * Every acquire checks the stored current version (one cheap query) so a config edit takes effect on the
 * next request without a restart. An agent dropped from the cache while leased is disposed only when its
 * last lease ends, so eviction never pulls an agent out from under a running request.
 */
export class AgentPool {
  private readonly cache: LRUCache<string, Agent>;
  private readonly building = new Map<string, Promise<Agent>>();
  private readonly running = new Map<string, number>();
  private readonly leases = new Map<Agent, number>();
  private readonly retiring = new Map<Agent, DisposeReason>();
  private readonly pendingDisposals = new Set<Promise<void>>();
  /** Reason for the next cache.delete()/clear(): lru-cache only knows 'delete'. */
  private deleteReason: DisposeReason = 'stale';
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private counts = { builds: 0, evictions: 0, disposals: 0 };

  constructor(private readonly opts: AgentPoolOptions) {
    const clock = opts.clock;
    this.cache = new LRUCache<string, Agent>({
      max: opts.poolMax,
      ttl: opts.idleTtlMs,
      updateAgeOnGet: true,
      // Check the clock on every TTL test: the default 1 ms resolution caches time with a real timer,
      // which a fake clock in tests would not move. Pool traffic is far too low for this to cost anything.
      ttlResolution: 0,
      ...(clock ? { perf: { now: clock } } : {}),
      dispose: (agent, agentId, reason) => {
        const why: DisposeReason = reason === 'evict' ? 'evict' : reason === 'expire' ? 'expire' : this.deleteReason;
        this.retire(agentId, agent, why);
      },
    });
  }

  get size(): number {
    return this.cache.size;
  }

  stats(): PoolStats {
    return { live: this.cache.size, ...this.counts };
  }

  /** Starts the periodic purge (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.purgeStale().catch((error: unknown) => this.opts.logger.warn({ err: error }, 'agent pool purge failed'));
    }, this.opts.purgeIntervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * A live agent for the current config of `agentId`. Throws AGENT_BUSY beyond the concurrency budget,
   * AGENT_NOT_FOUND when no current config exists, SHUTTING_DOWN after close().
   */
  async acquire(agentId: string): Promise<AgentLease> {
    if (this.closed) throw new AppError('SHUTTING_DOWN', 'the agent pool is closed');
    const running = this.running.get(agentId) ?? 0;
    if (running >= this.opts.maxConcurrentRunsPerAgent) {
      throw new AppError('AGENT_BUSY',
        `agent ${agentId} is already handling ${running} requests (limit ${this.opts.maxConcurrentRunsPerAgent}, AGENT_MAX_CONCURRENT_RUNS)`,
        { details: { agentId, running } });
    }
    // Count the slot before any await, so concurrent acquires cannot all pass the check.
    this.running.set(agentId, running + 1);
    let agent: Agent;
    try {
      agent = await this.resolve(agentId);
    } catch (error) {
      this.endRun(agentId);
      throw error;
    }
    this.leases.set(agent, (this.leases.get(agent) ?? 0) + 1);
    let released = false;
    return {
      agent,
      release: () => {
        if (released) return;
        released = true;
        this.endRun(agentId);
        const left = (this.leases.get(agent) ?? 1) - 1;
        if (left > 0) {
          this.leases.set(agent, left);
          return;
        }
        this.leases.delete(agent);
        const reason = this.retiring.get(agent);
        if (reason) this.disposeNow(agent, reason);
      },
    };
  }

  /**
   * Disposes idle agents past their TTL, then those whose config changed since they were built
   * (one query for all live agents). Returns how many were dropped.
   */
  async purgeStale(): Promise<number> {
    const before = this.cache.size;
    this.cache.purgeStale();
    let dropped = before - this.cache.size;
    const ids = [...this.cache.keys()];
    if (ids.length === 0) return dropped;
    const current = await this.opts.store.agents.currentVersions(ids);
    for (const id of ids) {
      const agent = this.cache.peek(id);
      if (agent && current[id] !== agent.config.version) {
        this.deleteWith('stale', id);
        dropped++;
      }
    }
    return dropped;
  }

  /** Disposes every agent (leased ones included: shutdown waits for runs before calling this). */
  async close(): Promise<void> {
    this.stop();
    this.closed = true;
    this.deleteReason = 'shutdown';
    this.cache.clear();
    for (const agent of [...this.retiring.keys()]) this.disposeNow(agent, 'shutdown');
    await Promise.allSettled([...this.pendingDisposals]);
  }

  private async resolve(agentId: string): Promise<Agent> {
    const live = this.cache.get(agentId);
    if (live) {
      const current = (await this.opts.store.agents.currentVersions([agentId]))[agentId];
      // Still cached after the await? (Else it may already be disposed: fall through and rebuild.)
      if (current === live.config.version && this.cache.peek(agentId) === live) return live;
      // Edited (or archived) since it was built: drop it now, the build below reads the new config.
      if (this.cache.peek(agentId) === live) this.deleteWith('stale', agentId);
    }
    // One build per agentId at a time: concurrent first requests share it.
    let pending = this.building.get(agentId);
    if (!pending) {
      pending = this.build(agentId).finally(() => this.building.delete(agentId));
      this.building.set(agentId, pending);
    }
    return pending;
  }

  private async build(agentId: string): Promise<Agent> {
    const config = await this.opts.store.agents.get(agentId);
    if (!config) throw new AppError('AGENT_NOT_FOUND', `no current config for agent ${agentId}`, { details: { agentId } });
    const existing = this.cache.peek(agentId);
    if (existing && existing.config.version === config.version) return existing;
    const agent = this.opts.factory(config);
    this.counts.builds++;
    if (existing) this.deleteWith('stale', agentId);
    this.cache.set(agentId, agent);
    this.opts.logger.debug({ agentId, version: config.version }, 'agent built');
    return agent;
  }

  private deleteWith(reason: DisposeReason, agentId: string): void {
    this.deleteReason = reason;
    try {
      this.cache.delete(agentId);
    } finally {
      this.deleteReason = 'stale';
    }
  }

  private endRun(agentId: string): void {
    const left = (this.running.get(agentId) ?? 1) - 1;
    if (left > 0) this.running.set(agentId, left);
    else this.running.delete(agentId);
  }

  /** Called when the cache drops an agent; disposal waits for its last lease. */
  private retire(agentId: string, agent: Agent, reason: DisposeReason): void {
    if (reason === 'evict') this.counts.evictions++;
    this.opts.logger.info({ agentId, version: agent.config.version, reason }, 'agent retired from the pool');
    if ((this.leases.get(agent) ?? 0) > 0 && reason !== 'shutdown') this.retiring.set(agent, reason);
    else this.disposeNow(agent, reason);
  }

  private disposeNow(agent: Agent, reason: DisposeReason): void {
    this.retiring.delete(agent);
    this.counts.disposals++;
    const done = agent.dispose()
      .catch((error: unknown) => this.opts.logger.warn({ err: error, agentId: agent.config.agentId, reason }, 'agent dispose failed'))
      .finally(() => this.pendingDisposals.delete(done));
    this.pendingDisposals.add(done);
  }
}
