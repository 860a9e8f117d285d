/**
 * npm run bench:learning — does the assistant really learn from its run log?
 *
 * Two app processes, one with learning on and one with LEARNING_ENABLED=false, get the same seeded workload
 * at the same time through their real surfaces (signed Slack events, buttons and slash commands; the OpenAI
 * wire from the app). A hidden world behind each arm's OpenAI stand-in decides how good every answer is;
 * simulated people judge by it, rate some answers and ask again when unhappy. The app never sees the hidden
 * quality. Per third of the script it prints cost per query and per successful answer (every run in the run
 * log counts, the analysts' own included), p50 latency and success for both arms; the last line is one JSON
 * object with the targets and the adversarial checks. Settings: BENCH_REQUESTS (1500), BENCH_SEED (7),
 * BENCH_WORKERS (8 people per arm), BENCH_LATENCY_SCALE (1), BENCH_KEEP=1 keeps the data directories.
 */
import { rm } from 'node:fs/promises';
import { improverCommand, spendSoFar, startArm, BENCH_KNOBS, type Arm } from './learning-lib/arm.js';
import { readDatabase, targets, thirds, type LearningState, type ThirdFigures } from './learning-lib/figures.js';
import { buildScript, INTENTS, MIX, type Ask } from './learning-lib/workload.js';
import type { AskResult } from './learning-lib/users.js';

const N = Number(process.env.BENCH_REQUESTS ?? 1500);
const SEED = Number(process.env.BENCH_SEED ?? 7);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 8);
const SCALE = Number(process.env.BENCH_LATENCY_SCALE ?? 1);
const KEEP = process.env.BENCH_KEEP === '1';

const log = (line: string) => process.stdout.write(`${line}\n`);
const usd = (x: number) => (Number.isFinite(x) ? `$${x.toFixed(5)}` : 'n/a');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

async function drive(arm: Arm, script: Ask[]): Promise<void> {
  let done = 0;
  const recent: AskResult[] = [];
  const onDone = (r: AskResult) => {
    done++;
    recent.push(r);
    if (done % 100 === 0 || done === script.length) {
      const window = recent.splice(0);
      const lat = window.map((x) => x.latencyMs).sort((a, b) => a - b);
      void spendSoFar(arm).then((spend) => log(`[${arm.name}] ${done}/${script.length} requests · last ${window.length}: success ${pct(window.filter((x) => x.good).length / window.length)}, ` +
        `p50 ${lat[Math.floor(lat.length / 2)]} ms · model spend so far $${spend.toFixed(4)}`));
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => arm.users.runWorker(w, script.filter((a) => a.index % WORKERS === w), onDone)));
}

function table(name: string, figures: ThirdFigures[]): void {
  log(`\n${name}`);
  log('third  asks  requests  success  p50 ms  cost USD   learning USD  cost/query  cost/success');
  for (const f of figures) {
    log(`${String(f.third).padEnd(5)}  ${String(f.asks).padEnd(4)}  ${String(f.requests).padEnd(8)}  ${pct(f.successRate).padEnd(7)}  ${String(Math.round(f.p50LatencyMs)).padEnd(6)}  ` +
      `${f.costUsd.toFixed(4).padEnd(9)}  ${f.learningCostUsd.toFixed(4).padEnd(12)}  ${usd(f.costPerQueryUsd).padEnd(10)}  ${usd(f.costPerSuccessUsd)}`);
  }
  log('success by intent per third: ' + INTENTS.map((i) => `${i} ${figures.map((f) => pct(f.byIntent[i]!.success)).join('/')}`).join(' · '));
  log('routes per third: ' + figures.map((f) => JSON.stringify(f.routes)).join(' | '));
}

/** The model an agent ends on (null in its config: DEFAULT_MODEL). */
function finalModel(state: LearningState, agentId: string): string {
  const current = state.agents.find((a) => a.agentId === agentId && a.status === 'current');
  return current?.model ?? BENCH_KNOBS.DEFAULT_MODEL!;
}

function checks(learning: LearningState, baselineFigures: ThirdFigures[]) {
  const calcModel = finalModel(learning, 'data-analysis');
  const calcCheaper = learning.enhancements.filter((e) => e.category === 'cheaper_model' && e.targetId === 'data-analysis');
  // A downgrade counts once the loop tried it (screened or served); one still waiting its turn at the end was never tried.
  const calcTried = calcCheaper.filter((e) => !['proposed', 'screening'].includes(e.status));
  const summarizerModel = finalModel(learning, 'summarizer');
  const selfTargets = targets(baselineFigures[2]!, baselineFigures[0]!);
  return {
    blanketDowngradeLoses: {
      pass: calcModel === 'gpt-4.1' && calcTried.length > 0 && calcTried.every((e) => e.status === 'rejected'),
      finalModel: calcModel, cheaperModelProposals: calcCheaper.map((e) => `${e.status}: ${(e.reasons ?? '').slice(0, 200)}`),
    },
    cheapIsFineEndsCheap: { pass: summarizerModel !== 'gpt-4.1', finalModel: summarizerModel },
    noLearningFails: {
      pass: !selfTargets.pass.all && baselineFigures[2]!.successRate < 0.9,
      detail: `LEARNING_ENABLED=false, last third against its own first third: cost/success ×${selfTargets.costPerSuccessRatio.toFixed(2)}, ` +
        `p50 ×${selfTargets.p50LatencyRatio.toFixed(2)}, success ${selfTargets.successPoints.toFixed(1)} points, ${pct(baselineFigures[2]!.successRate)}`,
    },
  };
}

function describeLearning(state: LearningState): void {
  log('\nWhat the learning arm ended with:');
  for (const a of state.agents.filter((x) => x.status === 'current')) log(`  ${a.agentId} v${a.version} on ${a.model ?? `${BENCH_KNOBS.DEFAULT_MODEL} (default)`}${a.origin === 'experiment' ? ` — ${(a.notes ?? '').slice(0, 140)}` : ''}`);
  log('Proposals:');
  for (const e of state.enhancements) log(`  ${e.category} on ${e.targetId}: ${e.status}${e.reasons ? ` — ${e.reasons.slice(0, 220)}` : ''}`);
  log('Experiments:');
  for (const e of state.experiments) {
    const d = (e.decision ?? {}) as { reasons?: string[]; samples?: { candidate: number; control: number } };
    log(`  ${e.targetKind} ${e.targetId.slice(0, 20)} v${e.controlVersion ?? '-'}→v${e.candidateVersion ?? '-'}: ${e.status} ${e.startedAt.slice(11, 19)}–${(e.endedAt ?? '').slice(11, 19)}` +
      `${d.samples ? ` (${d.samples.candidate}/${d.samples.control} runs)` : ''}${d.reasons ? ` — ${d.reasons.join('; ').slice(0, 260)}` : ''}`);
  }
  log('Workflows: ' + (state.workflows.map((w) => `${w.name} (${w.kind}, ${w.status}, ${w.uses} runs)`).join(', ') || 'none'));
  log('Error knowledge: ' + (state.errors.map((k) => `${k.errorClass} ${k.agentId}/${k.model} ×${k.occurrences}, ${k.recovery} worked ${k.successes}/${k.attempts}`).join('; ') || 'none'));
  log('Analyst runs: ' + state.analystRuns.map((a) => `${a.job} ×${a.runs} $${a.costUsd.toFixed(4)}`).join(', '));
}

async function main(): Promise<void> {
  const started = Date.now();
  const script = buildScript(SEED, N);
  log(`bench:learning — ${N} requests per arm, seed ${SEED}, ${WORKERS} people per arm, latency scale ${SCALE}`);
  log(`mix: ${INTENTS.map((i) => `${i} ${MIX[i]}%`).join(', ')}; in this script: ${INTENTS.map((i) => `${i} ${script.filter((a) => a.intent === i).length}`).join(', ')}`);
  const [learning, baseline] = await Promise.all([
    startArm('learning', { seed: SEED, workers: WORKERS, latencyScale: SCALE }),
    startArm('baseline', { seed: SEED, workers: WORKERS, latencyScale: SCALE }),
  ]);
  log(`apps up in ${((Date.now() - started) / 1000).toFixed(1)} s (logs: ${learning.logFile}, ${baseline.logFile})`);
  let experiments = '';
  try {
    await Promise.all([drive(learning, script), drive(baseline, script)]);
    experiments = await improverCommand(learning, 'experiments').catch((e: unknown) => `(failed: ${String(e)})`);
  } finally {
    await Promise.all([learning.close(), baseline.close()]);
  }
  const [lDb, bDb] = await Promise.all([readDatabase(learning.dataDir), readDatabase(baseline.dataDir)]);
  const lFig = thirds(learning.users.results, lDb.runs, N);
  const bFig = thirds(baseline.users.results, bDb.runs, N);
  table('LEARNING (LEARNING_ENABLED=true)', lFig);
  table('BASELINE (LEARNING_ENABLED=false)', bFig);
  describeLearning(lDb.state);
  log(`\n/improver experiments (learning arm):\n${experiments.slice(0, 3000)}`);
  const t = targets(lFig[2]!, bFig[2]!);
  const c = checks(lDb.state, bFig);
  log(`\nTargets, last third, learning vs baseline:`);
  log(`  cost per successful answer ×${t.costPerSuccessRatio.toFixed(3)} (≤ 0.6): ${t.pass.costPerSuccess ? 'PASS' : 'FAIL'}   (cost per query ×${t.costPerQueryRatio.toFixed(3)})`);
  log(`  p50 latency ×${t.p50LatencyRatio.toFixed(3)} (≤ 0.7): ${t.pass.p50Latency ? 'PASS' : 'FAIL'}`);
  log(`  success ${pct(t.success)} vs ${pct(bFig[2]!.successRate)}: +${t.successPoints.toFixed(1)} points (≥ +10): ${t.pass.successGain ? 'PASS' : 'FAIL'}; ≥ 90 %: ${t.pass.successFloor ? 'PASS' : 'FAIL'}`);
  log(`Adversarial checks: downgrade of data-analysis rejected and it ends on gpt-4.1: ${c.blanketDowngradeLoses.pass ? 'PASS' : 'FAIL'} (${c.blanketDowngradeLoses.finalModel}); ` +
    `summarizer ends on a cheaper model: ${c.cheapIsFineEndsCheap.pass ? 'PASS' : 'FAIL'} (${c.cheapIsFineEndsCheap.finalModel}); no learning fails the targets: ${c.noLearningFails.pass ? 'PASS' : 'FAIL'} (${c.noLearningFails.detail})`);
  const errors = [...learning.users.errors, ...baseline.users.errors];
  if (errors.length) log(`Driver errors (${errors.length}): ${errors.slice(0, 5).join(' | ')}`);
  log(`Hidden world: learning ${JSON.stringify(learning.world.stats)}; baseline ${JSON.stringify(baseline.world.stats)}`);
  const seconds = (Date.now() - started) / 1000;
  const round = (f: ThirdFigures) => ({
    third: f.third, asks: f.asks, requests: f.requests, success: +f.successRate.toFixed(4), p50LatencyMs: Math.round(f.p50LatencyMs),
    costUsd: +f.costUsd.toFixed(6), learningCostUsd: +f.learningCostUsd.toFixed(6), costPerQueryUsd: +f.costPerQueryUsd.toFixed(6),
    costPerSuccessUsd: +f.costPerSuccessUsd.toFixed(6),
  });
  if (!KEEP) await Promise.all([rm(learning.dataDir, { recursive: true, force: true }), rm(baseline.dataDir, { recursive: true, force: true })]);
  else log(`kept: ${learning.dataDir} ${baseline.dataDir}`);
  log(JSON.stringify({
    bench: 'learning', requests: N, seed: SEED, workers: WORKERS, latencyScale: SCALE, seconds: Math.round(seconds),
    learning: lFig.map(round), baseline: bFig.map(round),
    targets: {
      costPerSuccessRatio: +t.costPerSuccessRatio.toFixed(4), costPerQueryRatio: +t.costPerQueryRatio.toFixed(4), p50LatencyRatio: +t.p50LatencyRatio.toFixed(4),
      successPoints: +t.successPoints.toFixed(2), success: +t.success.toFixed(4), pass: t.pass,
    },
    checks: { blanketDowngradeLoses: c.blanketDowngradeLoses.pass, cheapIsFineEndsCheap: c.cheapIsFineEndsCheap.pass, noLearningFails: c.noLearningFails.pass },
    driverErrors: errors.length,
    pass: t.pass.all && c.blanketDowngradeLoses.pass && c.cheapIsFineEndsCheap.pass && c.noLearningFails.pass,
  }));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:learning failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
