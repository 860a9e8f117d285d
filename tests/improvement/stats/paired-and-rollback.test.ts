import { describe, expect, test } from 'vitest';
import { meanInterval } from '../../../src/improvement/stats/confidence-sequence.js';
import { pairedDecision, type ExperimentDecision } from '../../../src/improvement/stats/decide.js';
import { watchAfterPromotion } from '../../../src/improvement/stats/rollback-watch.js';
import { draws, median, Totals, type Draws } from './simulation.js';

const ALPHA = 0.05;

/*
 * Screening replays the same requests through both configs. Model of a replayed request i: a difficulty
 * q ~ U(0.3, 1); control succeeds when u < q, the candidate when u' < q + δ, where u' is the same u with
 * probability 0.8 and a fresh uniform otherwise (replays of one request mostly agree). Score = q + shift +
 * N(0, 0.1²), clipped to [0, 1], with independent noise per config.
 */
interface PairModel { successShift: number; scoreShift: number }

function replayPair(d: Draws, model: PairModel): { success: number; score: number } {
  const q = 0.3 + 0.7 * d.uniform();
  const u = d.uniform();
  const uCandidate = d.uniform() < 0.8 ? u : d.uniform();
  const success = (uCandidate < q + model.successShift ? 1 : 0) - (u < q ? 1 : 0);
  const clip = (x: number) => Math.min(1, Math.max(0, x));
  const score = clip(q + model.scoreShift + 0.1 * d.normal()) - clip(q + 0.1 * d.normal());
  return { success, score };
}

function screen(seed: number, model: PairModel, experiments: number, maxPairs: number, lookEvery: number) {
  const d = draws(seed);
  const endings: Array<{ decision: ExperimentDecision; pairs: number }> = [];
  const options = { maxSamples: maxPairs };
  for (let e = 0; e < experiments; e++) {
    const successDifferences = new Totals();
    const targetDifferences = new Totals();
    let ending: { decision: ExperimentDecision; pairs: number } = { decision: 'continue', pairs: maxPairs };
    for (let i = 1; i <= maxPairs; i++) {
      const pair = replayPair(d, model);
      successDifferences.add(pair.success);
      targetDifferences.add(pair.score);
      if (i % lookEvery !== 0) continue;
      const { decision } = pairedDecision({ successDifferences, targetDifferences, direction: 'higher_is_better', options });
      if (decision !== 'continue') { ending = { decision, pairs: i }; break; }
    }
    endings.push(ending);
  }
  const share = (x: ExperimentDecision) => endings.filter((e) => e.decision === x).length / experiments;
  const at = (x: ExperimentDecision) => median(endings.filter((e) => e.decision === x).map((e) => e.pairs));
  return { promote: share('promote'), reject: share('reject'), medianPromoteAt: at('promote'), medianRejectAt: at('reject') };
}

describe('paired screening', () => {
  test('A/A: the one-sample interval on score differences, looked at after every pair, ever excludes 0 in ≤ α', () => {
    // 2,000 screenings × 2,000 pairs, looked at from the second pair on. The plug-in variance of the first few
    // pairs can be tiny by chance; that is where the early false alarms come from, and why decisions wait for
    // a minimum sample. Both rates are printed.
    const d = draws(31);
    let hits = 0;
    let hitsBeforeTen = 0;
    for (let e = 0; e < 2_000; e++) {
      const diffs = new Totals();
      for (let i = 1; i <= 2_000; i++) {
        diffs.add(replayPair(d, { successShift: 0, scoreShift: 0 }).score);
        if (i < 2) continue;
        const interval = meanInterval(diffs, { alpha: ALPHA });
        if (interval.lower > 0 || interval.upper < 0) { hits++; if (i < 10) hitsBeforeTen++; break; }
      }
    }
    console.log(`paired A/A, score differences, 2000 × 2000 pairs: ever significant ${pct(hits / 2_000)} ` +
      `(${pct(hitsBeforeTen / 2_000)} at a look before the 10th pair, ${pct((hits - hitsBeforeTen) / 2_000)} after)`);
    expect(hits / 2_000).toBeLessThanOrEqual(ALPHA);
  });

  test('A/A: pairedDecision after every pair promotes or rejects in ≤ α of screenings', () => {
    const r = screen(32, { successShift: 0, scoreShift: 0 }, 400, 2_000, 1);
    console.log(`paired A/A decisions, 400 × 2000 pairs: promoted ${pct(r.promote)}, rejected ${pct(r.reject)}`);
    expect(r.promote + r.reject).toBeLessThanOrEqual(ALPHA);
  });

  test('a real 10-point success drop is rejected within 2,000 pairs and never promoted', () => {
    const r = screen(33, { successShift: -0.1, scoreShift: 0 }, 200, 2_000, 10);
    console.log(`paired, success −10 pts: rejected ${pct(r.reject)} (median at ${r.medianRejectAt} pairs), promoted ${pct(r.promote)}`);
    expect(r.reject).toBeGreaterThanOrEqual(0.9);
    expect(r.promote).toBe(0);
  });

  test('a real +0.05 score gain with equal success is promoted within 5,000 pairs', () => {
    const r = screen(34, { successShift: 0, scoreShift: 0.05 }, 200, 5_000, 25);
    console.log(`paired, score +0.05: promoted ${pct(r.promote)} (median at ${r.medianPromoteAt} pairs), rejected ${pct(r.reject)}`);
    expect(r.promote).toBeGreaterThanOrEqual(0.8);
    expect(r.reject).toBe(0);
  });
});

describe('rollback watch', () => {
  // Score per run ~ N(mean, 0.2²) clipped to [0, 1]; the baseline is the promoted config's 1,000 runs before promotion.
  const score = (d: Draws, mean: number) => Math.min(1, Math.max(0, mean + 0.2 * d.normal()));

  function watch(seed: number, recentMean: number, watches: number, maxRecent: number) {
    const d = draws(seed);
    const rolledBackAt: number[] = [];
    for (let w = 0; w < watches; w++) {
      const baseline = new Totals();
      for (let i = 0; i < 1_000; i++) baseline.add(score(d, 0.7));
      const recent = new Totals();
      for (let i = 1; i <= maxRecent; i++) {
        recent.add(score(d, recentMean));
        if (watchAfterPromotion(baseline, recent, { direction: 'higher_is_better', alpha: ALPHA }).action === 'rollback') {
          rolledBackAt.push(i);
          break;
        }
      }
    }
    return { rate: rolledBackAt.length / watches, medianAt: median(rolledBackAt) };
  }

  test('A/A: watched after every run for 3,000 runs, a config that did not get worse is rolled back in ≤ α', () => {
    const r = watch(41, 0.7, 600, 3_000);
    console.log(`rollback watch A/A, 600 watches × 3000 runs: rolled back ${pct(r.rate)}`);
    expect(r.rate).toBeLessThanOrEqual(ALPHA);
  });

  test('a real drop of 0.05 in score (a quarter of its sd) is rolled back, usually within a few hundred runs', () => {
    const r = watch(42, 0.65, 200, 2_000);
    console.log(`rollback watch, score −0.05: rolled back ${pct(r.rate)} (median after ${r.medianAt} runs)`);
    expect(r.rate).toBeGreaterThanOrEqual(0.9);
    expect(r.medianAt).toBeLessThan(600);
  });

  test('lower is better (cost): 50% dearer → rollback; unchanged cost within a margin → keep', () => {
    const d = draws(43);
    const baseline = new Totals();
    const dearer = new Totals();
    const same = new Totals();
    for (let i = 0; i < 2_000; i++) {
      baseline.add(d.lognormal(0, 1));
      dearer.add(1.5 * d.lognormal(0, 1));
      same.add(d.lognormal(0, 1));
    }
    const options = { direction: 'lower_is_better' as const, margin: 0.1 };
    const worse = watchAfterPromotion(baseline, dearer, options);
    expect(worse.action).toBe('rollback');
    expect(worse.improvementUpperBound).toBeLessThan(-0.1);
    expect(watchAfterPromotion(baseline, same, options).action).toBe('keep');
    expect(watchAfterPromotion(baseline, { count: 50, sum: 500, sumOfSquares: 6000 }, options).action).toBe('keep');
  });
});

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
