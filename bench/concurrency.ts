/**
 * bench:concurrency — 500 conversations in flight at once (each its own thread) at 1 s model latency: how many
 * are answered, reply latency, peak RSS of the bot process during the load, event-loop lag. The app on a real
 * PostgreSQL server and on PGlite; the bare bot (bench/bare-bot.ts) as the baseline in the same run.
 *
 *   npm run bench:concurrency         BENCH_CONVERSATIONS=500 BENCH_STORE=postgres,pglite BENCH_RUNTIME=dist|tsx
 *   BENCH_APP_ENV='{}'                the app's default settings (default here: AGENT_MAX_CONCURRENT_RUNS = conversations)
 */
import { ensureBuilt, runtimeFromEnv, spawnBot, type Bot } from './lib/bot-process.js';
import { burst, sequential } from './lib/load.js';
import { finish, heading, row, type Target } from './lib/report.js';
import { sampleRss } from './lib/rss-sampler.js';
import { mb, median, ms, percentile } from './lib/stats.js';
import { freshDatabase, stopDatabases, storesFromEnv, type StoreKind } from './lib/stores.js';
import { startWorld, type World } from './lib/world.js';

const MODEL_LATENCY_MS = 1000;
const conversations = Number(process.env.BENCH_CONVERSATIONS ?? 500);
const runtime = runtimeFromEnv();
const stores = storesFromEnv(['postgres', 'pglite']);
// The question is whether one process carries this many conversations at once; the per-agent limit
// (AGENT_MAX_CONCURRENT_RUNS, default 8) would turn it into a queue through 8 slots, so it is raised to the
// conversation count unless BENCH_APP_ENV says otherwise (BENCH_APP_ENV='{}' runs the defaults).
const appEnv: Record<string, string> = JSON.parse(process.env.BENCH_APP_ENV ?? JSON.stringify({ AGENT_MAX_CONCURRENT_RUNS: String(conversations) }));
const REPLY_TIMEOUT_MS = 150_000;

interface Result {
  answered: number; replyP50: number; replyP99: number; ackP99: number; wallMs: number;
  peakRssMbDuringLoad: number; peakRssMbLifetime: number; loopLagP99: number; loopLagMax: number; cpuMsPerRequest: number;
}

async function measure(world: World, bot: Bot): Promise<Result> {
  await sequential(world, bot, 3);
  await burst(world, bot, 10);
  world.trim();
  const before = await bot.read(true);
  const rss = sampleRss(bot.pid);
  const started = performance.now();
  const out = await burst(world, bot, conversations, REPLY_TIMEOUT_MS);
  const wallMs = performance.now() - started;
  const peak = rss.stop();
  const after = await bot.read(true);
  world.trim();
  const replies = out.flatMap((o) => (o.replyMs === undefined ? [] : [o.replyMs]));
  return {
    answered: replies.length, replyP50: ms(median(replies)), replyP99: ms(percentile(replies, 99)), ackP99: ms(percentile(out.map((o) => o.ackMs), 99)),
    wallMs: ms(wallMs), peakRssMbDuringLoad: mb(peak), peakRssMbLifetime: mb(after.maxRss), loopLagP99: after.lagMs.p99, loopLagMax: after.lagMs.max,
    cpuMsPerRequest: ms((after.cpuMs - before.cpuMs) / conversations),
  };
}

const world = await startWorld(MODEL_LATENCY_MS);
ensureBuilt(runtime);
heading(`bench:concurrency — ${conversations} conversations at once, model ${MODEL_LATENCY_MS} ms, app (${runtime}) on ${stores.join(' and ')} vs bare bot`);
if (Object.keys(appEnv).length) row('app settings', appEnv);
const results: Record<string, Result> = {};
try {
  const bare = await spawnBot({ kind: 'bare', runtime, env: world.env });
  try { results.bare = await measure(world, bare); } finally { await bare.stop(); }
  row('bare', results.bare);
  for (const store of stores as StoreKind[]) {
    const app = await spawnBot({ kind: 'app', runtime, env: { ...world.env, ...(await freshDatabase(store)), SLACK_STREAMING: 'off', ...appEnv } });
    try { results[store] = await measure(world, app); } finally { await app.stop(); }
    row(`app on ${store}`, results[store]!);
  }
} finally {
  await world.close();
  stopDatabases();
}
const list: Target[] = [];
for (const store of stores) {
  const r = results[store]!;
  list.push({ name: `all answered (${store})`, value: `${r.answered}/${conversations}`, limit: 'all', pass: r.answered === conversations });
}
if (results.postgres) {
  list.push({ name: 'peak RSS during load, Postgres (MB)', value: results.postgres.peakRssMbDuringLoad, limit: '<= 400', pass: results.postgres.peakRssMbDuringLoad <= 400 });
}
finish('concurrency', { runtime, conversations, modelLatencyMs: MODEL_LATENCY_MS, appSettings: appEnv, results }, list);
