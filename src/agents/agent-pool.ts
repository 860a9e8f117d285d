import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { AgentConfig, AgentStore } from '../store/agents.js';
import { Capacity } from './capacity.js';
import type { Agent } from './types.js';

export type DisposeReason = 'evict' | 'expire' | 'stale' | 'shutdown';

export interface AgentPoolOptions {
  store: { agents: Pick<AgentStore, 'get' | 'currentVersions' | 'statuses'> };
  factory: (config: AgentConfig) => Agent;
  logger: Logger;
  /** Live agents (versions) kept at most (AGENT_POOL_MAX); the least recently used one is disposed beyond it. */
  poolMax: number;
  /** An agent unused for this long is disposed (AGENT_IDLE_TTL_HOURS). */
  idleTtlMs: number;
  /** Requests one agent serves at once, all its versions together (AGENT_MAX_CONCURRENT_RUNS); more wait in line. */
  maxConcurrentRunsPerAgent: number;
  /** Requests that may wait for one agent, and for the overall slots (AGENT_QUEUE_MAX); one more is refused. */
  maxQueuedPerAgent?: number;
  /** How long a request waits for its agent and an overall slot together before it is refused (QUEUE_MAX_WAIT_SECONDS). */
  queueWaitMs?: number;
  /** Runs at once across all agents (MAX_CONCURRENT_RUNS): the model-serving slots of the process. Absent: no overall bound. */
  maxConcurrentRuns?: number;
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
  hits: number;
  misses: number;
  /** Requests waiting in line right now: for their agent, or for an overall slot. */
  waiting: number;
  /** Requests that had to wait in a line and then got their slot, and the seconds they waited in all. */
  queueWaits: number;
  queueWaitSeconds: number;
  /** Requests refused by a line (full, or waited too long: AGENT_BUSY). */
  queueRefusals: number;
}

/** The pool's key: one live agent per version, so two versions of one agent serve side by side. */
export const agentKey = (agentId: string, version: number): string => `${agentId}@${version}`;

/**
 * Live specialists, one per (agentId, version), built on demand from that version's config and kept in an
 * LRU with an idle TTL. acquire(agentId) serves the current version (one cheap query finds it, so a config
 * edit takes effect on the next request); acquire(agentId, version) serves that version, so an experiment's
 * candidate and the current version alternate without rebuilding either. Versions archived since they were
 * built are disposed by the periodic purge. An agent dropped from the cache while leased is disposed only
 * when its last lease ends, so eviction never pulls an agent out from under a running request.
 */
export class AgentPool {
  private readonly cache: LRUCache<string, Agent>;
  private readonly building = new Map<string, Promise<Agent>>();
  private readonly capacity = new Map<string, Capacity>();
  private readonly overall: Capacity | undefined;
  private readonly leases = new Map<Agent, number>();
  private readonly retiring = new Map<Agent, DisposeReason>();
  private readonly pendingDisposals = new Set<Promise<void>>();
  /** Reason for the next cache.delete()/clear(): lru-cache only knows 'delete'. */
  private deleteReason: DisposeReason = 'stale';
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private counts = { builds: 0, evictions: 0, disposals: 0, hits: 0, misses: 0, queueWaits: 0, queueWaitSeconds: 0, queueRefusals: 0 };

  constructor(private readonly opts: AgentPoolOptions) {
    const clock = opts.clock;
    this.overall = opts.maxConcurrentRuns === undefined ? undefined : new Capacity({
      concurrency: opts.maxConcurrentRuns, maxQueued: opts.maxQueuedPerAgent ?? 500, maxWaitMs: opts.queueWaitMs ?? 60_000,
      label: 'the assistant', scope: 'overall',
    });
    this.cache = new LRUCache<string, Agent>({
      max: opts.poolMax,
      ttl: opts.idleTtlMs,
      updateAgeOnGet: true,
      // Check the clock on every TTL test: the default 1 ms resolution caches time with a real timer,
      // which a fake clock in tests would not move. Pool traffic is far too low for this to cost anything.
      ttlResolution: 0,
      ...(clock ? { perf: { now: clock } } : {}),
      dispose: (agent, _key, reason) => {
        const why: DisposeReason = reason === 'evict' ? 'evict' : reason === 'expire' ? 'expire' : this.deleteReason;
        this.retire(agent, why);
      },
    });
  }

  get size(): number {
    return this.cache.size;
  }

  stats(): PoolStats {
    const waiting = [...this.capacity.values()].reduce((n, c) => n + c.waiting, this.overall?.waiting ?? 0);
    return { live: this.cache.size, ...this.counts, waiting };
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
   * A live agent: the given version, or the current one. Waits in line when the agent is at its concurrency,
   * then for an overall slot (onQueued says how many are ahead, in each line); throws AGENT_BUSY past a
   * queue's bound or the wait limit (both lines together), AGENT_NOT_FOUND when no such config exists,
   * SHUTTING_DOWN after close(). The agent's line comes first so that requests for one busy agent hold at
   * most its own concurrency of the overall slots, and the others' requests still reach the overall line.
   */
  async acquire(agentId: string, version?: number, options: { onQueued?: (ahead: number) => void; signal?: AbortSignal } = {}): Promise<AgentLease> {
    if (this.closed) throw new AppError('SHUTTING_DOWN', 'the agent pool is closed');
    const askedAt = Date.now();
    const waitUntil = askedAt + (this.opts.queueWaitMs ?? 60_000);
    let queued = false;
    const lineOptions = { ...options, onQueued: (ahead: number) => { queued = true; options.onQueued?.(ahead); } };
    let endRun: () => void;
    try {
      endRun = await this.takeSlots(agentId, lineOptions, waitUntil);
    } catch (error) {
      if (error instanceof AppError && error.code === 'AGENT_BUSY') this.counts.queueRefusals++;
      throw error;
    }
    if (queued) {
      this.counts.queueWaits++;
      this.counts.queueWaitSeconds += (Date.now() - askedAt) / 1000;
    }
    let agent: Agent;
    try {
      agent = await this.resolve(agentId, version ?? (await this.currentVersion(agentId)));
    } catch (error) {
      endRun();
      throw error;
    }
    this.leases.set(agent, (this.leases.get(agent) ?? 0) + 1);
    let released = false;
    return {
      agent,
      release: () => {
        if (released) return;
        released = true;
        endRun();
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
   * Disposes idle agents past their TTL, then versions that were archived since they were built (one query for
   * all live agents); current and candidate versions stay. Returns how many were dropped.
   */
  async purgeStale(): Promise<number> {
    const before = this.cache.size;
    this.cache.purgeStale();
    let dropped = before - this.cache.size;
    const keys = [...this.cache.keys()];
    if (keys.length === 0) return dropped;
    const statuses = await this.opts.store.agents.statuses(keys);
    for (const key of keys) {
      const status = statuses[key];
      if (status !== 'current' && status !== 'candidate') {
        this.deleteWith('stale', key);
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

  /** The agent's slot, then an overall one (the wait limit counts both lines together); a release for both. */
  private async takeSlots(agentId: string, options: { onQueued?: (ahead: number) => void; signal?: AbortSignal }, waitUntil: number): Promise<() => void> {
    const endAgentRun = await this.capacityOf(agentId).take(options);
    if (!this.overall) return endAgentRun;
    try {
      const endOverallRun = await this.overall.take({ ...options, maxWaitMs: waitUntil - Date.now() });
      return () => { endOverallRun(); endAgentRun(); };
    } catch (error) {
      endAgentRun();
      throw error;
    }
  }

  private capacityOf(agentId: string): Capacity {
    let capacity = this.capacity.get(agentId);
    if (!capacity) {
      capacity = new Capacity({
        concurrency: this.opts.maxConcurrentRunsPerAgent, maxQueued: this.opts.maxQueuedPerAgent ?? 500,
        maxWaitMs: this.opts.queueWaitMs ?? 60_000, label: `agent ${agentId}`,
      });
      this.capacity.set(agentId, capacity);
    }
    return capacity;
  }

  private async currentVersion(agentId: string): Promise<number> {
    const version = (await this.opts.store.agents.currentVersions([agentId]))[agentId];
    if (version === undefined) throw new AppError('AGENT_NOT_FOUND', `no current config for agent ${agentId}`, { details: { agentId } });
    return version;
  }

  private async resolve(agentId: string, version: number): Promise<Agent> {
    const key = agentKey(agentId, version);
    const live = this.cache.get(key);
    if (live) {
      this.counts.hits++;
      return live;
    }
    this.counts.misses++;
    // One build per version at a time: concurrent first requests share it.
    let pending = this.building.get(key);
    if (!pending) {
      pending = this.build(agentId, version).finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  private async build(agentId: string, version: number): Promise<Agent> {
    const config = await this.opts.store.agents.get(agentId, version);
    if (!config) throw new AppError('AGENT_NOT_FOUND', `no config for agent ${agentId} version ${version}`, { details: { agentId, version } });
    const key = agentKey(agentId, version);
    const existing = this.cache.peek(key);
    if (existing) return existing;
    const agent = this.opts.factory(config);
    this.counts.builds++;
    this.cache.set(key, agent);
    this.opts.logger.debug({ agentId, version }, 'agent built');
    return agent;
  }

  private deleteWith(reason: DisposeReason, key: string): void {
    this.deleteReason = reason;
    try {
      this.cache.delete(key);
    } finally {
      this.deleteReason = 'stale';
    }
  }

  /** Called when the cache drops an agent; disposal waits for its last lease. */
  private retire(agent: Agent, reason: DisposeReason): void {
    if (reason === 'evict') this.counts.evictions++;
    this.opts.logger.info({ agentId: agent.config.agentId, version: agent.config.version, reason }, 'agent retired from the pool');
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
