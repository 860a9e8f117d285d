import { describe, expect, test } from 'vitest';
import { AppError } from '../../../src/errors.js';
import { summarizeArm, type ArmStats } from '../../../src/improvement/stats/arm-stats.js';
import {
  differenceOfMeansInterval, differenceOfMeansOneSidedBound, meanInterval, mixingRhoSquared, twoSidedMultiplier,
} from '../../../src/improvement/stats/confidence-sequence.js';
import { normalCdf } from '../../../src/improvement/stats/normal-distribution.js';

// The formulas are checked against the published forms they come from, computed here independently.

const control: ArmStats = { count: 400, sum: 412.5, sumOfSquares: 1290.25 };
const candidate: ArmStats = { count: 400, sum: 351.0, sumOfSquares: 905.5 };

function sampleVariance(arm: ArmStats): number {
  return (arm.sumOfSquares - arm.sum ** 2 / arm.count) / (arm.count - 1);
}

describe('two-sided normal-mixture interval', () => {
  test("at either end of the interval, Johari et al.'s mixture likelihood ratio equals exactly 1/α", () => {
    const alpha = 0.05;
    const interval = differenceOfMeansInterval(candidate, control, { alpha, expectedSampleSize: 1000 });
    // mSPRT for a difference of means, equal arms of n (Johari, Koomen, Pekelis & Walsh 2017):
    // Λ = sqrt(V/(V + nτ²)) · exp( n²τ²(Δ̂ − θ)² / (2V(V + nτ²)) ), V = σ²_A + σ²_B, here with τ² = ρ²V.
    const n = 400;
    const V = sampleVariance(control) + sampleVariance(candidate);
    const tau2 = mixingRhoSquared(1000, alpha) * V;
    const lambda = (theta: number) => Math.sqrt(V / (V + n * tau2)) *
      Math.exp((n * n * tau2 * (interval.estimate - theta) ** 2) / (2 * V * (V + n * tau2)));
    expect(lambda(interval.lower)).toBeCloseTo(1 / alpha, 8);
    expect(lambda(interval.upper)).toBeCloseTo(1 / alpha, 8);
    expect(lambda(interval.estimate)).toBeLessThan(1);
  });

  test('the half-width is the Howard et al. (2021) / GrowthBook form σ·sqrt(2(nρ²+1)/(n²ρ²)·ln(sqrt(nρ²+1)/α))', () => {
    const alpha = 0.025;
    const interval = differenceOfMeansInterval(candidate, control, { alpha, expectedSampleSize: 3000 });
    const n = 400;
    const sigma = Math.sqrt(sampleVariance(control) + sampleVariance(candidate));
    const rho2 = mixingRhoSquared(3000, alpha);
    const expected = sigma * Math.sqrt((2 * (n * rho2 + 1)) / (n * n * rho2) * Math.log(Math.sqrt(n * rho2 + 1) / alpha));
    expect((interval.upper - interval.lower) / 2).toBeCloseTo(expected, 12);
    expect(interval.effectiveSampleSize).toBeCloseTo(n, 9);
    expect(interval.estimate).toBeCloseTo(351 / 400 - 412.5 / 400, 12);
  });

  test('with unequal arms the effective sample size is (σ²_A + σ²_B)/s²; equal variances give 2/(1/n_A + 1/n_B)', () => {
    const a: ArmStats = { count: 800, sum: 560, sumOfSquares: 560 };
    const b: ArmStats = { count: 200, sum: 140, sumOfSquares: 140 };
    const interval = differenceOfMeansInterval(b, a, { kind: 'binary' });
    expect(interval.effectiveSampleSize).toBeCloseTo(2 / (1 / 800 + 1 / 200), 0);
    expect(interval.effectiveSampleSize).toBeCloseTo(0.32 * 1000, 0);
  });

  test('ρ² minimises the width at the expected sample size, close to the closed form of Howard et al.', () => {
    for (const alpha of [0.05, 0.025, 0.01]) {
      const nStar = 2000;
      const rho2 = mixingRhoSquared(nStar, alpha);
      const closedForm = (-2 * Math.log(alpha) + Math.log(1 - 2 * Math.log(alpha))) / nStar;
      expect(Math.abs(rho2 / closedForm - 1)).toBeLessThan(0.05);
      const width = twoSidedMultiplier(nStar, rho2, alpha);
      for (const factor of [0.9, 0.98, 1.02, 1.1]) expect(twoSidedMultiplier(nStar, rho2 * factor, alpha)).toBeGreaterThan(width);
    }
  });

  test('always wider than the fixed-horizon interval at the same α (the price of peeking)', () => {
    for (const n of [50, 500, 5000, 50000]) {
      expect(twoSidedMultiplier(n, mixingRhoSquared(2000, 0.05), 0.05)).toBeGreaterThan(1.96);
    }
  });

  test('one-sample interval on paired differences: the same form with σ² the variance of the differences', () => {
    const diffs: ArmStats = { count: 900, sum: -27, sumOfSquares: 180 };
    const interval = meanInterval(diffs, { alpha: 0.05 });
    const v = sampleVariance(diffs);
    const rho2 = mixingRhoSquared(2000, 0.05);
    expect((interval.upper - interval.lower) / 2).toBeCloseTo(Math.sqrt(v / 900) * twoSidedMultiplier(900, rho2, 0.05), 12);
    expect(interval.estimate).toBeCloseTo(-0.03, 12);
  });
});

describe('one-sided bound', () => {
  test('at the bound, the half-normal mixture martingale (integrated numerically) equals 1/α', () => {
    const alpha = 0.05;
    const bound = differenceOfMeansOneSidedBound(candidate, control, 'lower', { alpha });
    const V = sampleVariance(control) + sampleVariance(candidate);
    const I = 1 / bound.standardError ** 2;
    const tau = Math.sqrt(mixingRhoSquared(2000, alpha) * V);
    const Z = I * (bound.estimate - bound.bound);
    // ∫₀^∞ exp(θZ − θ²I/2) · 2φ(θ/τ)/τ dθ by Simpson's rule.
    const steps = 200_000;
    const top = (Z / I) * 2 + 12 / Math.sqrt(I + 1 / tau ** 2);
    const h = top / steps;
    let integral = 0;
    for (let i = 0; i <= steps; i++) {
      const theta = i * h;
      const f = Math.exp(theta * Z - (theta * theta * I) / 2) * (2 / (tau * Math.sqrt(2 * Math.PI))) * Math.exp(-(theta * theta) / (2 * tau * tau));
      integral += f * (i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2);
    }
    integral *= h / 3;
    expect(integral).toBeCloseTo(1 / alpha, 4);
  });

  test('tighter than one side of the two-sided interval, and symmetric', () => {
    const two = differenceOfMeansInterval(candidate, control, { alpha: 0.05 });
    const lower = differenceOfMeansOneSidedBound(candidate, control, 'lower', { alpha: 0.05 });
    const upper = differenceOfMeansOneSidedBound(candidate, control, 'upper', { alpha: 0.05 });
    expect(lower.bound).toBeGreaterThan(two.lower);
    expect(upper.bound).toBeLessThan(two.upper);
    expect(upper.bound - upper.estimate).toBeCloseTo(lower.estimate - lower.bound, 12);
  });
});

describe('inputs', () => {
  test('0/1 data that are all successes still get a non-zero width (smoothed variance)', () => {
    const perfect: ArmStats = { count: 60, sum: 60, sumOfSquares: 60 };
    const interval = differenceOfMeansInterval(perfect, perfect, { kind: 'binary' });
    expect(interval.estimate).toBe(0);
    expect(interval.upper - interval.lower).toBeGreaterThan(0.05);
    expect(summarizeArm(perfect, 'binary').variance).toBeCloseTo((61 / 62) * (1 / 62), 12);
    expect(summarizeArm({ count: 50, sum: 0, sumOfSquares: 0 }, 'binary_difference').variance).toBeGreaterThan(0);
  });

  test('fewer than two observations in an arm: the interval is unbounded', () => {
    const interval = differenceOfMeansInterval({ count: 1, sum: 1, sumOfSquares: 1 }, control);
    expect(interval.lower).toBe(-Infinity);
    expect(interval.upper).toBe(Infinity);
  });

  test('inconsistent totals and bad parameters are INPUT_INVALID', () => {
    const code = (fn: () => unknown) => { try { fn(); } catch (e) { return AppError.isInstance(e) ? e.code : 'not an AppError'; } return 'no error'; };
    expect(code(() => differenceOfMeansInterval({ count: 10, sum: 10, sumOfSquares: 5 }, control))).toBe('INPUT_INVALID');
    expect(code(() => differenceOfMeansInterval({ count: 10.5, sum: 1, sumOfSquares: 1 }, control))).toBe('INPUT_INVALID');
    expect(code(() => differenceOfMeansInterval({ count: 10, sum: 11, sumOfSquares: 11 }, control, { kind: 'binary' }))).toBe('INPUT_INVALID');
    expect(code(() => differenceOfMeansInterval(candidate, control, { alpha: 1.5 }))).toBe('INPUT_INVALID');
    expect(code(() => differenceOfMeansInterval(candidate, control, { expectedSampleSize: 0 }))).toBe('INPUT_INVALID');
  });

  test('normal CDF matches tabulated values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    expect(normalCdf(3)).toBeCloseTo(0.998650102, 6);
  });
});
