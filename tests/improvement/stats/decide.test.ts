import { describe, expect, test } from 'vitest';
import type { ArmStats } from '../../../src/improvement/stats/arm-stats.js';
import { decide, type ExperimentDecision } from '../../../src/improvement/stats/decide.js';
import { draws, median, Totals } from './simulation.js';

/*
 * Power and non-inferiority, with decide() at its defaults (α = 0.05 split α/2 per metric, margin 0.02,
 * min 100 per arm). Equal arms; looked at every 50 pairs to keep the runs short (an always-valid interval may
 * be looked at on any schedule; looking less often can only delay a decision). 200 experiments per scenario.
 */

interface Scenario {
  controlSuccess: number;
  candidateSuccess: number;
  /** Lognormal(μ, 1) cost per run: μ = 0 for control; ln(0.7) is 30% cheaper on the mean. */
  candidateCostMu: number;
  maxPerArm: number;
}

interface Ending { decision: ExperimentDecision; perArm: number }

function runExperiments(seed: number, scenario: Scenario, experiments = 200): Ending[] {
  const d = draws(seed);
  const endings: Ending[] = [];
  const options = { maxSamples: 2 * scenario.maxPerArm };
  for (let e = 0; e < experiments; e++) {
    const success = { candidate: new Totals(), control: new Totals() };
    const target = { candidate: new Totals(), control: new Totals(), direction: 'lower_is_better' as const };
    let ending: Ending = { decision: 'continue', perArm: scenario.maxPerArm };
    for (let i = 1; i <= scenario.maxPerArm; i++) {
      success.control.add(d.bernoulli(scenario.controlSuccess));
      success.candidate.add(d.bernoulli(scenario.candidateSuccess));
      target.control.add(d.lognormal(0, 1));
      target.candidate.add(d.lognormal(scenario.candidateCostMu, 1));
      if (i % 50 !== 0) continue;
      const { decision } = decide({ success, target, options });
      if (decision !== 'continue') { ending = { decision, perArm: i }; break; }
    }
    endings.push(ending);
  }
  return endings;
}

function tally(endings: Ending[]) {
  const share = (decision: ExperimentDecision) => endings.filter((e) => e.decision === decision).length / endings.length;
  const promoted = endings.filter((e) => e.decision === 'promote').map((e) => e.perArm);
  const rejected = endings.filter((e) => e.decision === 'reject').map((e) => e.perArm);
  return { promote: share('promote'), reject: share('reject'), inconclusive: share('stop_inconclusive'),
    medianPromoteAt: median(promoted), medianRejectAt: median(rejected) };
}

describe('power', () => {
  test('a true 30% cost reduction with equal success is promoted in most runs within 20,000 per arm', () => {
    const t = tally(runExperiments(21, { controlSuccess: 0.7, candidateSuccess: 0.7, candidateCostMu: Math.log(0.7), maxPerArm: 20_000 }));
    console.log(`30% cheaper, same success: promoted ${pct(t.promote)} (median at ${t.medianPromoteAt}/arm), rejected ${pct(t.reject)}, inconclusive ${pct(t.inconclusive)}`);
    expect(t.promote).toBeGreaterThanOrEqual(0.8);
    expect(t.reject).toBeLessThanOrEqual(0.05);
  });

  test('a true 5-point success drop (cost unchanged) is rejected in most runs and never promoted', () => {
    const t = tally(runExperiments(22, { controlSuccess: 0.7, candidateSuccess: 0.65, candidateCostMu: 0, maxPerArm: 12_000 }));
    console.log(`success −5 pts, same cost: rejected ${pct(t.reject)} (median at ${t.medianRejectAt}/arm), promoted ${pct(t.promote)}`);
    expect(t.reject).toBeGreaterThanOrEqual(0.8);
    expect(t.promote).toBe(0);
  });
});

describe('non-inferiority', () => {
  test('worse success beyond the margin (−4 pts) is never promoted, however much cheaper (30%)', () => {
    const t = tally(runExperiments(23, { controlSuccess: 0.7, candidateSuccess: 0.66, candidateCostMu: Math.log(0.7), maxPerArm: 20_000 }));
    console.log(`success −4 pts, 30% cheaper: promoted ${pct(t.promote)}, rejected ${pct(t.reject)} (median at ${t.medianRejectAt}/arm)`);
    expect(t.promote).toBe(0);
    expect(t.reject).toBeGreaterThanOrEqual(0.8);
  });

  // Deterministic cases built from totals: each branch of the rule, and the documented choice about a small,
  // certain success loss within the margin.
  const arm = (count: number, mean: number, sd = 0): ArmStats =>
    ({ count, sum: count * mean, sumOfSquares: (count - 1) * sd * sd + count * mean * mean });
  const cost = (count: number, mean: number) => arm(count, mean, mean);
  const flags = (count: number, rate: number): ArmStats => {
    const sum = Math.round(count * rate);
    return { count, sum, sumOfSquares: sum };
  };

  test('equal success + clearly cheaper → promote', () => {
    const r = decide({
      success: { candidate: flags(30_000, 0.7), control: flags(30_000, 0.7) },
      target: { candidate: cost(30_000, 0.7), control: cost(30_000, 1), direction: 'lower_is_better' },
    });
    expect(r.decision).toBe('promote');
    expect(r.checks).toMatchObject({ successNonInferior: true, targetBetter: true });
    expect(r.intervals.success.lower).toBeGreaterThan(-0.02);
    expect(r.intervals.target.upper).toBeLessThan(0);
  });

  test('success certainly 1 pt lower (within the 2-pt margin) + clearly cheaper → promote (the trade the margin allows)', () => {
    const r = decide({
      success: { candidate: flags(1_000_000, 0.69), control: flags(1_000_000, 0.7) },
      target: { candidate: cost(1_000_000, 0.7), control: cost(1_000_000, 1), direction: 'lower_is_better' },
    });
    expect(r.intervals.success.upper).toBeLessThan(0);
    expect(r.decision).toBe('promote');
  });

  test('success clearly 4 pts lower + cheaper → reject, with the success reason', () => {
    const r = decide({
      success: { candidate: flags(30_000, 0.66), control: flags(30_000, 0.7) },
      target: { candidate: cost(30_000, 0.7), control: cost(30_000, 1), direction: 'lower_is_better' },
    });
    expect(r.decision).toBe('reject');
    expect(r.checks).toMatchObject({ successWorseBeyondMargin: true, targetWorse: false, targetBetter: true });
  });

  test('equal success + clearly worse score (higher is better) → reject', () => {
    const r = decide({
      success: { candidate: flags(5_000, 0.7), control: flags(5_000, 0.7) },
      target: { candidate: arm(5_000, 0.55, 0.2), control: arm(5_000, 0.6, 0.2), direction: 'higher_is_better' },
    });
    expect(r.decision).toBe('reject');
    expect(r.checks.targetWorse).toBe(true);
  });

  test('nothing is decided before the minimum, however large the difference', () => {
    const r = decide({
      success: { candidate: flags(99, 0.2), control: flags(400, 0.9) },
      target: { candidate: cost(99, 5), control: cost(400, 1), direction: 'lower_is_better' },
    });
    expect(r.decision).toBe('continue');
    expect(r.checks.enoughSamples).toBe(false);
    expect(r.samplesPerArm).toBe(99);
  });

  test('at the sample cap (both arms together) with no clear answer → stop_inconclusive', () => {
    const input = {
      success: { candidate: flags(20_000, 0.7), control: flags(80_000, 0.7) },
      target: { candidate: cost(20_000, 1), control: cost(80_000, 1), direction: 'lower_is_better' as const },
    };
    const capped = decide(input);
    expect(capped.decision).toBe('stop_inconclusive');
    expect(capped.totalSamples).toBe(100_000);
    expect(decide({ ...input, options: { maxSamples: 100_001 } }).decision).toBe('continue');
  });

  test('Bonferroni: each interval is at α/2', () => {
    const r = decide({
      success: { candidate: flags(500, 0.7), control: flags(500, 0.7) },
      target: { candidate: cost(500, 1), control: cost(500, 1), direction: 'lower_is_better' },
      options: { alpha: 0.1 },
    });
    expect(r.intervals.success.alpha).toBe(0.05);
    expect(r.intervals.target.alpha).toBe(0.05);
    expect(r.reasons.length).toBeGreaterThan(0);
  });
});

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
