import type { ArmStats } from '../../../src/improvement/stats/arm-stats.js';
import { mulberry32, normalSampler, type Uniform } from '../../../src/improvement/stats/random.js';

/** Seeded draws for the simulations in this folder (mulberry32 + Box–Muller). */
export interface Draws {
  uniform: Uniform;
  normal: () => number;
  bernoulli(p: number): number;
  /** exp(μ + σ·N(0,1)): mean exp(μ + σ²/2), right-skewed like run costs. */
  lognormal(mu: number, sigma: number): number;
}

export function draws(seed: number): Draws {
  const uniform = mulberry32(seed);
  const normal = normalSampler(uniform);
  return {
    uniform,
    normal,
    bernoulli: (p) => (uniform() < p ? 1 : 0),
    lognormal: (mu, sigma) => Math.exp(mu + sigma * normal()),
  };
}

/** Mutable running totals, as a SQL query would keep them; reused across looks to keep the loops fast. */
export class Totals implements ArmStats {
  count = 0;
  sum = 0;
  sumOfSquares = 0;

  add(value: number): void {
    this.count += 1;
    this.sum += value;
    this.sumOfSquares += value * value;
  }
}

/** Fixed-horizon two-sample z-test (unpooled), the "naive" analysis that peeking breaks. */
export function naiveZRejects(candidate: ArmStats, control: ArmStats, z = 1.959963985): boolean {
  const variance = (arm: ArmStats) => (arm.sumOfSquares - arm.sum ** 2 / arm.count) / (arm.count - 1);
  const se = Math.sqrt(variance(candidate) / candidate.count + variance(control) / control.count);
  return Math.abs(candidate.sum / candidate.count - control.sum / control.count) > z * se;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}
