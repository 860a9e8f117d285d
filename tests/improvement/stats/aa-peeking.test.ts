import { expect, test } from 'vitest';
import { differenceOfMeansInterval } from '../../../src/improvement/stats/confidence-sequence.js';
import { decide } from '../../../src/improvement/stats/decide.js';
import { draws, naiveZRejects, Totals } from './simulation.js';

/*
 * A/A under continuous peeking: both arms come from the same distribution and the interval is looked at after
 * EVERY observation. An always-valid interval must exclude 0 at some look in at most α of the experiments; the
 * fixed-horizon z-test looked at with the same cadence must not (which shows this harness can fail).
 *
 * Sizes: 2,000 experiments × 2,000 observations per arm per metric (4 million looks each) — enough for the
 * measured rate to sit well inside α with Monte Carlo noise ≈ ±0.3 points, and about 1–2 s per metric on one
 * core. The naive test starts looking at 100 per arm (the decision's default minimum), which is kinder to it
 * than the sequential test, which is looked at from the second observation.
 */

const ALPHA = 0.05;
const EXPERIMENTS = 2_000;
const PER_ARM = 2_000;

interface PeekingRates { sequential: number; naive: number }

function aaWithPeeking(seed: number, draw: (d: ReturnType<typeof draws>) => number, kind: 'binary' | 'continuous'): PeekingRates {
  const d = draws(seed);
  let sequential = 0;
  let naive = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    const control = new Totals();
    const candidate = new Totals();
    let sequentialHit = false;
    let naiveHit = false;
    for (let i = 1; i <= PER_ARM && !(sequentialHit && naiveHit); i++) {
      control.add(draw(d));
      candidate.add(draw(d));
      if (i < 2) continue;
      if (!sequentialHit) {
        const interval = differenceOfMeansInterval(candidate, control, { alpha: ALPHA, kind });
        sequentialHit = interval.lower > 0 || interval.upper < 0;
      }
      if (!naiveHit && i >= 100) naiveHit = naiveZRejects(candidate, control);
    }
    if (sequentialHit) sequential++;
    if (naiveHit) naive++;
  }
  return { sequential: sequential / EXPERIMENTS, naive: naive / EXPERIMENTS };
}

test('A/A, success flag Bernoulli(0.7), peeking after every observation: ever-significant rate ≤ α', () => {
  const rates = aaWithPeeking(11, (d) => d.bernoulli(0.7), 'binary');
  console.log(`A/A Bernoulli(0.7), ${EXPERIMENTS} experiments × ${PER_ARM}/arm: sequential ${pct(rates.sequential)}, naive z peeked ${pct(rates.naive)} (α = ${pct(ALPHA)})`);
  expect(rates.sequential).toBeLessThanOrEqual(ALPHA);
  expect(rates.naive).toBeGreaterThan(2 * ALPHA);
});

test('A/A, skewed cost lognormal(0, 1), peeking after every observation: ever-significant rate ≤ α', () => {
  const rates = aaWithPeeking(12, (d) => d.lognormal(0, 1), 'continuous');
  console.log(`A/A lognormal(0,1) cost, ${EXPERIMENTS} experiments × ${PER_ARM}/arm: sequential ${pct(rates.sequential)}, naive z peeked ${pct(rates.naive)} (α = ${pct(ALPHA)})`);
  expect(rates.sequential).toBeLessThanOrEqual(ALPHA);
  expect(rates.naive).toBeGreaterThan(2 * ALPHA);
});

test('A/A with a random 20/80 split (the live default), peeking after every run: rate ≤ α', () => {
  // 1,000 experiments × 5,000 runs, each run sent to the candidate with probability 0.2 (≈1,000 candidate runs).
  const d = draws(13);
  const experiments = 1_000;
  let hits = 0;
  for (let e = 0; e < experiments; e++) {
    const control = new Totals();
    const candidate = new Totals();
    for (let run = 0; run < 5_000; run++) {
      const value = d.lognormal(0, 1);
      if (d.uniform() < 0.2) candidate.add(value); else control.add(value);
      if (candidate.count < 2 || control.count < 2) continue;
      const interval = differenceOfMeansInterval(candidate, control, { alpha: ALPHA });
      if (interval.lower > 0 || interval.upper < 0) { hits++; break; }
    }
  }
  console.log(`A/A lognormal cost, 20/80 split, ${experiments} experiments × 5,000 runs: sequential ${pct(hits / experiments)}`);
  expect(hits / experiments).toBeLessThanOrEqual(ALPHA);
});

test('A/A through decide() (success + cost, Bonferroni α/2 each), looked at after every pair: wrong decisions ≤ α', () => {
  const d = draws(14);
  const experiments = 500;
  const counts = { promote: 0, reject: 0 };
  const options = { alpha: ALPHA };
  for (let e = 0; e < experiments; e++) {
    const success = { candidate: new Totals(), control: new Totals() };
    const cost = { candidate: new Totals(), control: new Totals(), direction: 'lower_is_better' as const };
    for (let i = 1; i <= PER_ARM; i++) {
      success.control.add(d.bernoulli(0.7)); success.candidate.add(d.bernoulli(0.7));
      cost.control.add(d.lognormal(0, 1)); cost.candidate.add(d.lognormal(0, 1));
      const { decision } = decide({ success, target: cost, options });
      if (decision === 'promote' || decision === 'reject') { counts[decision]++; break; }
    }
  }
  const rate = (counts.promote + counts.reject) / experiments;
  console.log(`A/A decide(), ${experiments} experiments × ${PER_ARM}/arm: promoted ${counts.promote}, rejected ${counts.reject} (${pct(rate)})`);
  expect(rate).toBeLessThanOrEqual(ALPHA);
});

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
