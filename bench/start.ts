/**
 * bench:start — from process start (spawn) to ready (/health 200) with an already migrated database, for the app
 * on PGlite and on a real PostgreSQL server, run compiled (dist/main.js; `npm run build` is done beforehand and not
 * timed) and from the sources through tsx; the bare bot as the baseline. Interleaved, medians of several starts.
 *
 *   npm run bench:start               BENCH_STARTS=3 BENCH_STORE=pglite,postgres
 */
import { ensureBuilt, spawnBot, type BotKind, type Runtime } from './lib/bot-process.js';
import { finish, heading, row, type Target } from './lib/report.js';
import { median, ms } from './lib/stats.js';
import { freshDatabase, stopDatabases, storesFromEnv, type StoreKind } from './lib/stores.js';
import { startWorld } from './lib/world.js';

const starts = Number(process.env.BENCH_STARTS ?? 3);
const stores = storesFromEnv(['pglite', 'postgres']);
const runtimes: Runtime[] = ['dist', 'tsx'];

interface Variant { label: string; kind: BotKind; runtime: Runtime; store?: StoreKind; env: Record<string, string>; times: number[] }

const world = await startWorld(0);
ensureBuilt('dist');
heading(`bench:start — spawn to /health 200, migrated database, ${starts} starts each, interleaved`);
const variants: Variant[] = [{ label: 'bare', kind: 'bare', runtime: 'tsx', env: world.env, times: [] }];
try {
  for (const store of stores) {
    // One database per store, migrated by a first start that is not timed (as after install or a first run).
    const env = { ...world.env, ...(await freshDatabase(store)) };
    const first = await spawnBot({ kind: 'app', runtime: 'dist', env, readyTimeoutMs: 120_000 });
    row(`first start, ${store} (migrates)`, { ms: ms(first.readyMs) });
    await first.stop();
    for (const runtime of runtimes) variants.push({ label: `app ${runtime} ${store}`, kind: 'app', runtime, store, env, times: [] });
  }
  for (let i = 0; i < starts; i++) {
    for (const v of i % 2 === 0 ? variants : [...variants].reverse()) {
      const bot = await spawnBot({ kind: v.kind, runtime: v.runtime, env: v.env, pollMs: 10, readyTimeoutMs: 120_000 });
      v.times.push(bot.readyMs);
      await bot.stop();
    }
  }
} finally {
  await world.close();
  stopDatabases();
}
const results: Record<string, { medianMs: number; allMs: number[] }> = {};
for (const v of variants) {
  results[v.label] = { medianMs: ms(median(v.times)), allMs: v.times.map(ms) };
  row(v.label, results[v.label]!);
}
const list: Target[] = stores.map((store) => {
  const value = results[`app dist ${store}`]!.medianMs;
  return { name: `start to ready, dist, ${store} (ms)`, value, limit: '<= 2000', pass: value <= 2000 };
});
finish('start', { starts, results }, list);
