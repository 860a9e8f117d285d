import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgentPool, type AgentPoolOptions } from '../../src/agents/agent-pool.js';
import { UniversalAgent } from '../../src/agents/universal-agent.js';
import { userMessageFor } from '../../src/model/model-errors.js';
import { Models } from '../../src/model/models.js';
import type { AgentConfig } from '../../src/store/agents.js';
import type { Store } from '../../src/store/store.js';
import { pgliteStore } from '../support/stores.js';
import { captureLogger, caught, LONG_PROMPT } from './helpers.js';

let store: Store;

beforeAll(async () => {
  store = await pgliteStore();
  for (let i = 0; i <= 50; i++) await saveAgent(`pool-${String(i).padStart(2, '0')}`);
});
afterAll(async () => { await store.close(); });

function saveAgent(agentId: string, systemPrompt = LONG_PROMPT): Promise<AgentConfig> {
  return store.agents.save({ agentId, specialty: `specialty ${agentId}`, description: `handles ${agentId} requests`, systemPrompt });
}

/** A pool of real UniversalAgents (no endpoint: nothing here calls a model); records every agent built. */
function pool(overrides: Partial<AgentPoolOptions> = {}) {
  const { logger, lines } = captureLogger();
  const built: UniversalAgent[] = [];
  const p = new AgentPool({
    store, logger, poolMax: 50, idleTtlMs: 3_600_000, maxConcurrentRunsPerAgent: 4,
    factory: (config) => {
      const agent = new UniversalAgent(config, { models: new Models(null), defaultModel: 'gpt-4o-mini', maxRetries: 0, logger });
      built.push(agent);
      return agent;
    },
    ...overrides,
  });
  const retired = () => lines.filter((l) => l.msg === 'agent retired from the pool')
    .map((l) => ({ agentId: l.agentId, version: l.version, reason: l.reason }));
  return { pool: p, built, retired };
}

async function use(p: AgentPool, agentId: string, version?: number) {
  const lease = await p.acquire(agentId, version);
  lease.release();
  return lease.agent as UniversalAgent;
}

describe('AgentPool', () => {
  test('the 51st distinct agent evicts the least recently used one', async () => {
    const { pool: p, retired } = pool();
    const first = await use(p, 'pool-00');
    const second = await use(p, 'pool-01');
    for (let i = 2; i < 50; i++) await use(p, `pool-${String(i).padStart(2, '0')}`);
    expect(p.size).toBe(50);
    await use(p, 'pool-00'); // touch: pool-01 is now the least recently used
    await use(p, 'pool-50');
    expect(p.size).toBe(50);
    expect(second.isDisposed).toBe(true);
    expect(first.isDisposed).toBe(false);
    expect(retired()).toEqual([{ agentId: 'pool-01', version: 1, reason: 'evict' }]);
    expect(p.stats()).toMatchObject({ live: 50, builds: 51, evictions: 1, disposals: 1 });
    await p.close();
  });

  test('a cached agent is reused while its config is unchanged (one version query, no rebuild)', async () => {
    const { pool: p, built } = pool();
    const a = await use(p, 'general');
    const b = await use(p, 'general');
    expect(b).toBe(a);
    expect(built).toHaveLength(1);
    await p.close();
  });

  test('idle agents expire after the TTL (fake clock) and are purged', async () => {
    const clock = { t: 5_000_000 };
    const { pool: p, built, retired } = pool({ idleTtlMs: 60_000, clock: () => clock.t });
    const a = await use(p, 'research');
    const w = await use(p, 'writing');
    clock.t += 40_000;
    expect(await use(p, 'writing')).toBe(w); // a get refreshes its age
    clock.t += 30_000; // research idle 70 s, writing 30 s
    expect(await p.purgeStale()).toBe(1);
    expect(a.isDisposed).toBe(true);
    expect(w.isDisposed).toBe(false);
    expect(retired()).toEqual([{ agentId: 'research', version: 1, reason: 'expire' }]);
    const again = await use(p, 'research');
    expect(again).not.toBe(a);
    expect(built).toHaveLength(3);
    await p.close();
  });

  test('a config edit takes effect on the next acquire; the archived version is disposed by the next purge', async () => {
    await saveAgent('editable');
    const { pool: p, built, retired } = pool();
    const v1 = await use(p, 'editable');
    expect(v1.config.version).toBe(1);
    await saveAgent('editable', `${LONG_PROMPT} Always answer in French.`);
    const v2 = await use(p, 'editable');
    expect(v2.config.version).toBe(2);
    expect(v2.config.systemPrompt).toMatch(/French/);
    expect(await p.purgeStale()).toBe(1);
    expect(v1.isDisposed).toBe(true);
    expect(v2.isDisposed).toBe(false);
    expect(retired()).toEqual([{ agentId: 'editable', version: 1, reason: 'stale' }]);
    expect(built).toHaveLength(2);
    await p.close();
  });

  test('purgeStale also drops agents whose config changed', async () => {
    await saveAgent('edited-in-background');
    const { pool: p, retired } = pool();
    const v1 = await use(p, 'edited-in-background');
    await saveAgent('edited-in-background', `${LONG_PROMPT} Be terse.`);
    expect(await p.purgeStale()).toBe(1);
    expect(v1.isDisposed).toBe(true);
    expect(retired()).toEqual([{ agentId: 'edited-in-background', version: 1, reason: 'stale' }]);
    await p.close();
  });

  test('two versions serve side by side: alternating between them rebuilds neither', async () => {
    await saveAgent('side-by-side');
    await store.agents.save({ agentId: 'side-by-side', specialty: 'specialty side', description: 'handles side requests',
      systemPrompt: `${LONG_PROMPT} Candidate wording.` }, 'candidate');
    const { pool: p, built } = pool();
    const served: number[] = [];
    for (let i = 0; i < 20; i++) served.push((await use(p, 'side-by-side', i % 2 === 0 ? 1 : 2)).config.version);
    expect(served).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : 2)));
    expect(built.map((a) => a.config.version)).toEqual([1, 2]);
    expect(p.stats()).toMatchObject({ builds: 2, hits: 18, misses: 2 });
    // Without a version the current one serves; the candidate is neither current nor archived, so a purge keeps it.
    expect((await use(p, 'side-by-side')).config.version).toBe(1);
    expect(await p.purgeStale()).toBe(0);
    await p.close();
  });

  test('beyond the per-agent concurrency requests wait in line, told how many are ahead; past the queue bound: AGENT_BUSY', async () => {
    const { pool: p } = pool({ maxConcurrentRunsPerAgent: 2, maxQueuedPerAgent: 1 });
    const first = await p.acquire('coding');
    const second = await p.acquire('coding');
    const told: number[] = [];
    const third = p.acquire('coding', undefined, { onQueued: (ahead) => told.push(ahead) });
    expect(told).toEqual([1]);
    const refused = await caught(p.acquire('coding'));
    expect(refused).toMatchObject({ code: 'AGENT_BUSY', retryAfterSeconds: 30 });
    expect(refused.message).toMatch(/coding.*2 requests running and 1 waiting/);
    expect((await p.acquire('summarizer')).agent.config.agentId).toBe('summarizer'); // other agents are unaffected
    first.release();
    first.release(); // idempotent: must not free a second slot
    const lease = await third;
    expect(p.stats().waiting).toBe(0);
    // What Prometheus reads: one request waited (and got its slot), one was refused; the others never waited.
    expect(p.stats()).toMatchObject({ queueWaits: 1, queueRefusals: 1 });
    expect(p.stats().queueWaitSeconds).toBeGreaterThan(0);
    expect((await caught(Promise.race([p.acquire('coding', undefined, { signal: AbortSignal.timeout(50) }), new Promise((r) => setTimeout(r, 500))]))).code).toBe('CANCELLED');
    lease.release();
    second.release();
    await p.close();
  });

  test('a request that waits past the wait limit is refused with a retry hint', async () => {
    const { pool: p } = pool({ maxConcurrentRunsPerAgent: 1, queueWaitMs: 50 });
    const held = await p.acquire('coding');
    const error = await caught(p.acquire('coding'));
    expect(error).toMatchObject({ code: 'AGENT_BUSY', retryAfterSeconds: 60 });
    expect(p.stats()).toMatchObject({ queueWaits: 0, queueRefusals: 1 }); // refused after waiting: not a wait that got a slot
    held.release();
    (await p.acquire('coding')).release();
    await p.close();
  });

  test('the overall slots (MAX_CONCURRENT_RUNS) bound all agents together; one agent holds at most its own share', async () => {
    const { pool: p } = pool({ maxConcurrentRunsPerAgent: 2, maxConcurrentRuns: 3, maxQueuedPerAgent: 1, queueWaitMs: 2000 });
    const held = [await p.acquire('coding'), await p.acquire('coding'), await p.acquire('research')];
    const told: number[] = [];
    // coding is at its own limit: its third request waits in the agent's line, not in the overall one.
    const codingWaits = p.acquire('coding', undefined, { onQueued: (ahead) => told.push(ahead) });
    // research has an agent slot free but no overall slot: it waits in the overall line.
    const researchWaits = p.acquire('research', undefined, { onQueued: (ahead) => told.push(ahead) });
    await new Promise((resolve) => setImmediate(resolve)); // the overall take follows the agent's one a microtask later
    expect(told).toEqual([1, 1]);
    expect(p.stats().waiting).toBe(2);
    const refused = await caught(p.acquire('summarizer'));
    expect(refused).toMatchObject({ code: 'AGENT_BUSY', details: { scope: 'overall', running: 3, waiting: 1 } });
    expect(userMessageFor(refused)).toMatch(/^I'm handling more requests than can wait in line right now\. Please try again in about \d+ seconds\.$/);
    held[2]!.release(); // research's slot frees an overall slot: the waiting research request takes it
    const research = await researchWaits;
    held[0]!.release(); // coding's own slot passes to its waiter, which then needs an overall slot: coding's release freed one
    const coding = await codingWaits;
    expect(p.stats().waiting).toBe(0);
    for (const lease of [held[1]!, research, coding]) lease.release();
    await p.close();
  });

  test('the wait limit covers both lines together, and the retry hint follows the measured pace', async () => {
    const { pool: p } = pool({ maxConcurrentRunsPerAgent: 1, maxConcurrentRuns: 2, queueWaitMs: 1000 });
    const coding = await p.acquire('coding');
    const research = await p.acquire('research');
    const summarizer = p.acquire('summarizer'); // its agent is free; first in the overall line
    const started = Date.now();
    const second = caught(p.acquire('coding')); // waits in coding's line first
    setTimeout(() => coding.release(), 500); // coding's slot passes to `second`, the overall slot to `summarizer`
    const error = await second;
    // Refused when its 1 s is up counting both lines, not 1 s after it reached the overall line (~1.5 s).
    expect(Date.now() - started).toBeLessThan(1350);
    expect(error).toMatchObject({ code: 'AGENT_BUSY', details: { scope: 'overall' } });
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(5); // paced from the measured ~500 ms hold, at least 5 s
    (await summarizer).release();
    research.release();
    await p.close();
  });

  test('an agent evicted while leased is disposed only when released', async () => {
    const { pool: p } = pool({ poolMax: 1 });
    const lease = await p.acquire('research');
    await use(p, 'writing'); // evicts research from the cache
    expect(p.size).toBe(1);
    expect((lease.agent as UniversalAgent).isDisposed).toBe(false);
    lease.release();
    expect((lease.agent as UniversalAgent).isDisposed).toBe(true);
    await p.close();
  });

  test('unknown agent: AGENT_NOT_FOUND, and the failed acquire does not hold a slot', async () => {
    const { pool: p } = pool({ maxConcurrentRunsPerAgent: 1 });
    expect((await caught(p.acquire('no-such-agent'))).code).toBe('AGENT_NOT_FOUND');
    expect((await caught(p.acquire('no-such-agent'))).code).toBe('AGENT_NOT_FOUND');
    await p.close();
  });

  test('concurrent first acquires share one build', async () => {
    const { pool: p, built } = pool();
    const leases = await Promise.all([p.acquire('data-analysis'), p.acquire('data-analysis'), p.acquire('data-analysis')]);
    expect(new Set(leases.map((l) => l.agent)).size).toBe(1);
    expect(built).toHaveLength(1);
    leases.forEach((l) => l.release());
    await p.close();
  });

  test('close() disposes everything with reason shutdown; later acquires fail', async () => {
    const { pool: p, retired } = pool();
    const a = await use(p, 'general');
    p.start();
    await p.close();
    expect(a.isDisposed).toBe(true);
    expect(retired()).toEqual([{ agentId: 'general', version: expect.any(Number), reason: 'shutdown' }]);
    expect((await caught(p.acquire('general'))).code).toBe('SHUTTING_DOWN');
    expect(p.size).toBe(0);
  });
});
