/**
 * bench:overhead — the full app against the bare passthrough bot (bench/bare-bot.ts), both as their own
 * processes in HTTP mode against the same Slack and OpenAI stand-ins at 300 ms model latency. Interleaved
 * rounds (app, bare, then bare, app…): 20 sequential requests, then 30 at once. Medians over rounds. Then, once
 * per bot, 200 mentions spread over 10 s from 20 people (issue #17's load): all answered, ack p99.
 *
 *   npm run bench:overhead            BENCH_ROUNDS=4 BENCH_RUNTIME=dist|tsx BENCH_STORE=pglite|postgres
 *   BENCH_STREAMING=auto              the app streams (chat.startStream…); default off, like the bare bot
 *   BENCH_APP_ENV='{"AGENT_MAX_CONCURRENT_RUNS":"32"}'   extra app settings (printed)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ensureBuilt, runtimeFromEnv, spawnBot, type Bot, type ProbeStats } from './lib/bot-process.js';
import { burst, sequential, spread, type Outcome } from './lib/load.js';
import { finish, heading, row } from './lib/report.js';
import { median, ms, percentile, ratio } from './lib/stats.js';
import { freshDatabase, stopDatabases, storesFromEnv } from './lib/stores.js';
import { startWorld } from './lib/world.js';

const MODEL_LATENCY_MS = 300;
const SEQUENTIAL = 20;
const CONCURRENT = 30;
const SPREAD = { count: 200, overMs: 10_000, people: 20 };
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const runtime = runtimeFromEnv();
const [store] = storesFromEnv(['pglite']);
const streaming = process.env.BENCH_STREAMING ?? 'off';
const appEnv: Record<string, string> = JSON.parse(process.env.BENCH_APP_ENV ?? '{}');

interface Round {
  seqP50: number; burstP50: number; answered: number; burstAcks: number[]; seqAcks: number[]; lag: ProbeStats['lagMs'];
  /** CPU time of the bot process per request, sequential and concurrent phases. */
  cpuSeq: number; cpuBurst: number;
  /** Event-loop delay p99 of the bench process during the burst. */
  driverLagP99: number;
}
const results: Record<'app' | 'bare', Round[]> = { app: [], bare: [] };

const replies = (o: Outcome[]) => o.flatMap((x) => (x.replyMs === undefined ? [] : [x.replyMs]));

async function round(bot: Bot, world: Awaited<ReturnType<typeof startWorld>>): Promise<Round> {
  const before = await bot.read(true);
  const seq = await sequential(world, bot, SEQUENTIAL);
  const middle = await bot.read(true);
  // The bench's own loop (stand-ins + load) must stay responsive, or acks would be timed late on this side.
  const driverLag = monitorEventLoopDelay({ resolution: 5 });
  driverLag.enable();
  const conc = await burst(world, bot, CONCURRENT);
  driverLag.disable();
  const after = await bot.read(true);
  const lagMs = after.lagMs;
  world.trim();
  return {
    seqP50: median(replies(seq)), burstP50: median(replies(conc)),
    answered: conc.filter((o) => o.replyMs !== undefined && o.ackStatus === 200).length + seq.filter((o) => o.replyMs !== undefined).length,
    burstAcks: conc.map((o) => o.ackMs), seqAcks: seq.map((o) => o.ackMs), lag: lagMs,
    driverLagP99: Math.round(driverLag.percentile(99) / 1e4) / 100,
    cpuSeq: (middle.cpuMs - before.cpuMs) / SEQUENTIAL, cpuBurst: (after.cpuMs - middle.cpuMs) / CONCURRENT,
  };
}

const world = await startWorld(MODEL_LATENCY_MS);
ensureBuilt(runtime);
heading(`bench:overhead — app (${runtime}, ${store}, streaming ${streaming}) vs bare bot, model ${MODEL_LATENCY_MS} ms, ${rounds} rounds of ${SEQUENTIAL} sequential + ${CONCURRENT} at once`);
if (Object.keys(appEnv).length) row('app settings', appEnv);
const app = await spawnBot({ kind: 'app', runtime, env: { ...world.env, ...(await freshDatabase(store!)), SLACK_STREAMING: streaming, ...appEnv } });
const bare = await spawnBot({ kind: 'bare', runtime, env: { ...world.env } });
row('ready (ms)', { app: ms(app.readyMs), bare: ms(bare.readyMs) });
try {
  // Warm-up (not counted): JIT, connection pools, the app's first agent build.
  for (const bot of [app, bare]) { await sequential(world, bot, 3); await burst(world, bot, 5); await bot.read(true); }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [app, bare] : [bare, app];
    for (const bot of order) {
      const result = await round(bot, world);
      results[bot.kind].push(result);
      row(`round ${r + 1} ${bot.kind}`, {
        seqP50: ms(result.seqP50), burstP50: ms(result.burstP50), answered: `${result.answered}/${SEQUENTIAL + CONCURRENT}`,
        burstAckP99: ms(percentile(result.burstAcks, 99)), loopLagP99: result.lag.p99, cpuMsPerRequest: ms(result.cpuBurst), benchLagP99: result.driverLagP99,
      });
    }
  }
  const spreadSummary = {} as Record<'app' | 'bare', { answered: number; sent: number; ackP50: number; ackP99: number; replyP50: number }>;
  for (const bot of [app, bare]) {
    const o = await spread(world, bot, SPREAD.count, SPREAD.overMs, SPREAD.people);
    world.trim();
    const acks = o.map((x) => x.ackMs);
    spreadSummary[bot.kind] = { answered: o.filter((x) => x.replyMs !== undefined && x.ackStatus === 200).length, sent: o.length,
      ackP50: ms(percentile(acks, 50)), ackP99: ms(percentile(acks, 99)), replyP50: ms(median(replies(o))) };
    row(`${SPREAD.count} in ${SPREAD.overMs / 1000} s from ${SPREAD.people} people, ${bot.kind}`, spreadSummary[bot.kind]);
  }
  const memory = { app: await app.read(), bare: await bare.read() };

  const summary = (kind: 'app' | 'bare') => {
    const list = results[kind];
    return {
      seqP50: ms(median(list.map((x) => x.seqP50))), burstP50: ms(median(list.map((x) => x.burstP50))),
      answered: list.reduce((n, x) => n + x.answered, 0), sent: list.length * (SEQUENTIAL + CONCURRENT),
      ackSeqP99: ms(percentile(list.flatMap((x) => x.seqAcks), 99)), ackBurstP50: ms(percentile(list.flatMap((x) => x.burstAcks), 50)),
      ackBurstP99: ms(percentile(list.flatMap((x) => x.burstAcks), 99)), ackBurstMax: ms(percentile(list.flatMap((x) => x.burstAcks), 100)),
      loopLagP99Burst: median(list.map((x) => x.lag.p99)), benchLoopLagP99Burst: median(list.map((x) => x.driverLagP99)), loopLagMaxBurst: Math.max(...list.map((x) => x.lag.max)),
      cpuMsPerRequestSeq: ms(median(list.map((x) => x.cpuSeq))), cpuMsPerRequestBurst: ms(median(list.map((x) => x.cpuBurst))),
      rssMb: Math.round(memory[kind].rss / 2 ** 20), peakRssMb: Math.round(memory[kind].maxRss / 2 ** 20),
    };
  };
  const a = summary('app');
  const b = summary('bare');
  // Per-round ratios (each round's app figure over the same round's bare figure), then their median.
  const seqRatio = median(results.app.map((x, i) => x.seqP50 / results.bare[i]!.seqP50));
  const burstRatio = median(results.app.map((x, i) => x.burstP50 / results.bare[i]!.burstP50));
  heading('medians over rounds');
  row('app', a);
  row('bare', b);
  row('ratios app/bare', { sequentialP50: ratio(seqRatio, 1), concurrentP50: ratio(burstRatio, 1) });
  finish('overhead', {
    runtime, store, streaming, modelLatencyMs: MODEL_LATENCY_MS, rounds, appSettings: appEnv, app: a, bare: b,
    ratios: { sequentialP50: ratio(seqRatio, 1), concurrentP50: ratio(burstRatio, 1) },
    spread: { ...SPREAD, ...spreadSummary },
  }, [
    { name: 'sequential p50 ratio', value: ratio(seqRatio, 1), limit: '<= 1.10', pass: seqRatio <= 1.10 },
    { name: 'concurrent p50 ratio', value: ratio(burstRatio, 1), limit: '<= 1.15', pass: burstRatio <= 1.15 },
    { name: 'every request answered', value: `${a.answered}/${a.sent}`, limit: 'all', pass: a.answered === a.sent },
    { name: 'ack p99 at 30 concurrent (ms)', value: a.ackBurstP99, limit: '<= 50', pass: a.ackBurstP99 <= 50 },
    { name: '200 in 10 s from 20 people: answered', value: `${spreadSummary.app.answered}/${SPREAD.count}`, limit: 'all',
      pass: spreadSummary.app.answered === SPREAD.count },
    { name: '200 in 10 s from 20 people: ack p99 (ms)', value: spreadSummary.app.ackP99, limit: '<= 50', pass: spreadSummary.app.ackP99 <= 50 },
  ]);
} finally {
  await Promise.allSettled([app.stop(), bare.stop()]);
  await world.close();
  stopDatabases();
}
