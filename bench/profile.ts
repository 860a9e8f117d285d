/**
 * bench:profile — a V8 CPU profile of the app under the concurrent load of bench:overhead (bursts of 30 at
 * 300 ms model latency), then its top frames by self time. The profile itself stays in a temp directory
 * (its path is printed); it is not committed.
 *
 *   npm run bench:profile             BENCH_STORE=pglite|postgres BENCH_RUNTIME=dist|tsx BENCH_BURSTS=6
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt, runtimeFromEnv, spawnBot } from './lib/bot-process.js';
import { summarizeProfile } from './lib/cpuprofile.js';
import { burst, sequential } from './lib/load.js';
import { finish, heading, row } from './lib/report.js';
import { median, ms, percentile } from './lib/stats.js';
import { freshDatabase, stopDatabases, storesFromEnv } from './lib/stores.js';
import { startWorld } from './lib/world.js';

const runtime = runtimeFromEnv();
const [store] = storesFromEnv(['pglite']);
const bursts = Number(process.env.BENCH_BURSTS ?? 6);
const appEnv: Record<string, string> = JSON.parse(process.env.BENCH_APP_ENV ?? '{}');
const dir = mkdtempSync(join(tmpdir(), 'bench-cpuprofile-'));

const world = await startWorld(300);
ensureBuilt(runtime);
heading(`bench:profile — app (${runtime}, ${store}) under ${bursts} bursts of 30, model 300 ms`);
const app = await spawnBot({ kind: 'app', runtime, cpuProfileDir: dir, env: { ...world.env, ...(await freshDatabase(store!)), SLACK_STREAMING: 'off', ...appEnv } });
const replies: number[] = [];
const acks: number[] = [];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const window = { fromUs: 0, toUs: 0 };
try {
  await sequential(world, app, 3);
  window.fromUs = monotonicUs();
  for (let i = 0; i < bursts; i++) {
    const out = await burst(world, app, 30);
    for (const o of out) { acks.push(o.ackMs); if (o.replyMs !== undefined) replies.push(o.replyMs); }
    world.trim();
  }
  window.toUs = monotonicUs();
} finally {
  await app.stop();
  await world.close();
  stopDatabases();
}
// One file per thread: CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread (the
// acknowledgement front of HTTP mode writes its own, thread 1).
const file = readdirSync(dir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
const summary = summarizeProfile(join(dir, file), 20, window);
row('load', { replyP50: ms(median(replies)), ackP99: ms(percentile(acks, 99)), answered: `${replies.length}/${bursts * 30}` });
row('profile', { file: join(dir, file), recordedMs: summary.totalMs });
heading('self time by package / folder (load phase only)');
for (const a of summary.areas.slice(0, 15)) process.stdout.write(`${String(a.share).padStart(5)}%  ${String(a.selfMs).padStart(7)} ms  ${a.area}\n`);
heading('top frames by self time');
for (const f of summary.frames) process.stdout.write(`${String(f.share).padStart(5)}%  ${String(f.selfMs).padStart(7)} ms  ${f.frame}  ${f.where}\n`);
heading('self time charged to the nearest app function on the stack');
for (const f of summary.appCallers.slice(0, 15)) process.stdout.write(`${String(f.share).padStart(5)}%  ${String(f.selfMs).padStart(7)} ms  ${f.frame}  ${f.where}\n`);
finish('profile', { runtime, store, file: join(dir, file), recordedMs: summary.totalMs, areas: summary.areas.slice(0, 10), frames: summary.frames.slice(0, 10) }, []);
