/**
 * bench:pool — 1,000 agent configs requested with a Zipf distribution through the agent pool (AGENT_POOL_MAX
 * 50), every tenth agent with two versions live (current + candidate, as during an experiment; each request to
 * it picks one at random). The real AgentPool, UniversalAgent factory and store (PGlite in memory, and a real
 * PostgreSQL server), in this process. Figures: hit rate against the best any 50-entry cache could do on this
 * distribution (the 50 most likely keys kept forever, measured in the same run), the cost of a hit and of a miss
 * (a miss reads the config and builds the agent), and memory with 50 live agents.
 *
 *   npm run bench:pool                BENCH_REQUESTS=20000 BENCH_ZIPF_S=1.0 BENCH_STORE=pglite,postgres
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { AgentPool } from '../src/agents/agent-pool.js';
import { UniversalAgent } from '../src/agents/universal-agent.js';
import { loadConfig } from '../src/config/load-config.js';
import { mulberry32 } from '../src/improvement/stats/random.js';
import { Models } from '../src/model/models.js';
import { LangChainModelPort } from '../src/model/langchain-port.js';
import { migrate } from '../src/store/migrate.js';
import { openPglite } from '../src/store/pglite/pglite-client.js';
import { openPostgres } from '../src/store/postgres/pg-client.js';
import { classifySqlError, SqlTransport } from '../src/store/sql-transport.js';
import { Store } from '../src/store/store.js';
import { createToolLayer } from '../src/tools/tool-layer.js';
import { finish, heading, row, type Target } from './lib/report.js';
import { mb, median, ms, percentile } from './lib/stats.js';
import { freshDatabase, stopDatabases, storesFromEnv, type StoreKind } from './lib/stores.js';

const AGENTS = 1000;
const POOL_MAX = 50;
const requests = Number(process.env.BENCH_REQUESTS ?? 20_000);
const zipfS = Number(process.env.BENCH_ZIPF_S ?? 1.0);
const stores = storesFromEnv(['pglite', 'postgres']);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:pool does)');

const hasTwoVersions = (rank: number) => rank % 10 === 1;
const agentId = (rank: number) => `bench-agent-${rank}`;

/** The request sequence: (agentId, version) keys, Zipf over agent ranks, 50/50 between two live versions. */
function sequence(count: number, seed: number): Array<{ agentId: string; version: number }> {
  const weights = Array.from({ length: AGENTS }, (_, i) => 1 / (i + 1) ** zipfS);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  weights.reduce((acc, w, i) => (cdf[i] = acc + w / total), 0);
  const next = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const u = next();
    let lo = 0; let hi = AGENTS - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cdf[mid]! < u) lo = mid + 1; else hi = mid; }
    const rank = lo + 1;
    return { agentId: agentId(rank), version: hasTwoVersions(rank) && next() < 0.5 ? 2 : 1 };
  });
}

/** Best possible hit rate of any 50-entry cache on independent requests: the 50 most likely keys, always kept. */
function oracleHitRate(): number {
  const weights = Array.from({ length: AGENTS }, (_, i) => 1 / (i + 1) ** zipfS);
  const total = weights.reduce((a, b) => a + b, 0);
  const keys = weights.flatMap((w, i) => (hasTwoVersions(i + 1) ? [w / 2 / total, w / 2 / total] : [w / total]));
  return keys.sort((a, b) => b - a).slice(0, POOL_MAX).reduce((a, b) => a + b, 0);
}

async function openStore(kind: StoreKind): Promise<Store> {
  const env = await freshDatabase(kind);
  const client = kind === 'pglite' ? await openPglite() : openPostgres(env.DATABASE_URL!, { max: 4 });
  await migrate(client);
  return new Store(new SqlTransport(kind, client, classifySqlError));
}

async function seed(store: Store): Promise<void> {
  for (let rank = 1; rank <= AGENTS; rank++) {
    const draft = { agentId: agentId(rank), specialty: `specialty ${rank}`, description: `Bench agent number ${rank}: answers questions about topic ${rank}.`,
      systemPrompt: `You are bench agent ${rank}. Answer briefly and precisely. `.repeat(8) };
    await store.agents.save(draft);
    if (hasTwoVersions(rank)) await store.agents.save({ ...draft, systemPrompt: `${draft.systemPrompt} (candidate)`, origin: 'experiment' }, 'candidate');
  }
}

const config = loadConfig({ OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
const logger = pino({ level: 'silent' });

async function run(kind: StoreKind) {
  const store = await openStore(kind);
  const seeded = performance.now();
  await seed(store);
  const seedMs = performance.now() - seeded;
  const tools = createToolLayer(config.tools, { store, logger });
  const models = new Models(new LangChainModelPort(config.model.endpoint!));
  const pool = new AgentPool({
    store, logger, poolMax: POOL_MAX, idleTtlMs: config.agents.idleTtlMs, maxConcurrentRunsPerAgent: config.agents.maxConcurrentRunsPerAgent,
    factory: (agentConfig) => new UniversalAgent(agentConfig, { models, defaultModel: config.model.defaultModel, maxRetries: config.model.maxRetries, logger, tools: tools.agentTools }),
  });
  gc!(); gc!();
  const empty = process.memoryUsage();

  const warmup = sequence(2000, 7);
  const measured = sequence(requests, 42);
  for (const r of warmup) (await pool.acquire(r.agentId, r.version)).release();
  const hitMs: number[] = [];
  const missMs: number[] = [];
  const start = pool.stats();
  for (const r of measured) {
    const misses = pool.stats().misses;
    const t0 = performance.now();
    const lease = await pool.acquire(r.agentId, r.version);
    const took = performance.now() - t0;
    lease.release();
    (pool.stats().misses > misses ? missMs : hitMs).push(took);
  }
  const end = pool.stats();
  gc!(); gc!();
  const full = process.memoryUsage();
  // The baseline without a pool: every request reads its config and builds its agent (the cost of a miss, always).
  const noPoolMs: number[] = [];
  for (const r of measured.slice(0, 2000)) {
    const t0 = performance.now();
    const cfg = await store.agents.get(r.agentId, r.version);
    new UniversalAgent(cfg!, { models, defaultModel: config.model.defaultModel, maxRetries: config.model.maxRetries, logger, tools: tools.agentTools });
    noPoolMs.push(performance.now() - t0);
  }
  await pool.close();
  await tools.close();
  await store.close();
  const hits = end.hits - start.hits;
  const misses = end.misses - start.misses;
  return {
    seedMs: ms(seedMs), requests, hitRate: Math.round((hits / (hits + misses)) * 1000) / 1000, live: end.live, evictions: end.evictions - start.evictions,
    hitP50Ms: Math.round(median(hitMs) * 1000) / 1000, hitP99Ms: Math.round(percentile(hitMs, 99) * 1000) / 1000,
    missP50Ms: Math.round(median(missMs) * 100) / 100, missP99Ms: Math.round(percentile(missMs, 99) * 100) / 100,
    noPoolP50Ms: Math.round(median(noPoolMs) * 100) / 100,
    heapMbWith50Live: mb(full.heapUsed), rssMbWith50Live: mb(full.rss),
    heapKbPerLiveAgent: Math.round((full.heapUsed - empty.heapUsed) / 1024 / Math.max(1, end.live)),
  };
}

heading(`bench:pool — ${AGENTS} configs (every 10th with 2 live versions), Zipf s=${zipfS}, ${requests} requests, pool of ${POOL_MAX}`);
const oracle = Math.round(oracleHitRate() * 1000) / 1000;
row('best possible 50-entry cache', { hitRate: oracle });
const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
try {
  for (const kind of stores) {
    results[kind] = await run(kind);
    row(`pool on ${kind}`, results[kind]!);
  }
} finally {
  stopDatabases();
}
// The issue sets no hit-rate target: the pool's LRU is printed beside the best possible cache for comparison.
const list: Target[] = [];
for (const kind of stores) {
  const r = results[kind]!;
  list.push({ name: `50 live agents after the run (${kind})`, value: r.live, limit: '= 50', pass: r.live === POOL_MAX });
}
finish('pool', { agents: AGENTS, poolMax: POOL_MAX, zipfS, bestPossibleHitRate: oracle, results }, list);
