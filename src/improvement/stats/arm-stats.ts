import { AppError } from '../../errors.js';

/**
 * Running totals for one arm (or for paired differences): what a SQL query can keep with
 * `count(*)`, `sum(x)` and `sum(x*x)`. Everything in this folder works from these three numbers.
 */
export interface ArmStats {
  count: number;
  sum: number;
  sumOfSquares: number;
}

/**
 * How the variance of an arm is estimated.
 * - `continuous`: the unbiased sample variance from the totals.
 * - `binary`: 0/1 outcomes. p̃(1−p̃) with p̃ = (sum+1)/(count+2) (one pseudo success and one pseudo failure), so
 *   an early run of all-successes does not give a zero variance and therefore a zero-width interval.
 * - `binary_difference`: paired differences of 0/1 outcomes (values −1, 0, +1). The sample variance with one
 *   pseudo pair at −1 and one at +1 added, for the same reason (identical replays give zero differences).
 * The pseudo observations only touch the variance; the mean is always sum/count.
 */
export type VarianceKind = 'continuous' | 'binary' | 'binary_difference';

export interface ArmSummary {
  count: number;
  mean: number;
  /** Variance of one observation (not of the mean). NaN when count < 2. */
  variance: number;
}

export const EMPTY_ARM: ArmStats = Object.freeze({ count: 0, sum: 0, sumOfSquares: 0 });

/** Totals after one more observation; lets tests and callers without SQL keep the same running sums. */
export function addObservation(arm: ArmStats, value: number): ArmStats {
  return { count: arm.count + 1, sum: arm.sum + value, sumOfSquares: arm.sumOfSquares + value * value };
}

export function summarizeArm(arm: ArmStats, kind: VarianceKind, label = 'arm'): ArmSummary {
  assertArmStats(arm, kind, label);
  const { count, sum, sumOfSquares } = arm;
  const mean = count > 0 ? sum / count : Number.NaN;
  if (count < 2) return { count, mean, variance: Number.NaN };
  let variance: number;
  if (kind === 'binary') {
    const smoothed = (sum + 1) / (count + 2);
    variance = smoothed * (1 - smoothed);
  } else if (kind === 'binary_difference') {
    variance = (sumOfSquares + 2 - (sum * sum) / (count + 2)) / (count + 1);
  } else {
    variance = (sumOfSquares - (sum * sum) / count) / (count - 1);
  }
  // Totals kept in floating point can cancel to a tiny negative number when all values are equal.
  return { count, mean, variance: Math.max(0, variance) };
}

function assertArmStats(arm: ArmStats, kind: VarianceKind, label: string): void {
  const { count, sum, sumOfSquares } = arm;
  let why: string | null = null;
  if (!Number.isInteger(count) || count < 0) why = 'count must be a non-negative integer';
  else if (!Number.isFinite(sum) || !Number.isFinite(sumOfSquares)) why = 'sum and sumOfSquares must be finite';
  else if (sumOfSquares < 0) why = 'sumOfSquares cannot be negative';
  else if (kind === 'binary' && (sum < 0 || sum > count)) why = 'a 0/1 metric needs 0 <= sum <= count';
  else if (kind === 'binary_difference' && (Math.abs(sum) > count || sumOfSquares > count)) {
    why = 'differences of 0/1 outcomes lie in [-1, 1]';
  } else if (count > 0 && sum * sum > count * sumOfSquares * (1 + 1e-9) + 1e-9) {
    // Cauchy–Schwarz: sum² <= count·sumOfSquares. A small relative slack absorbs rounding in SQL totals.
    why = 'sum² exceeds count·sumOfSquares: the totals do not come from one set of values';
  }
  // Checked after every run, so no closure or object is built unless the totals are actually wrong.
  if (why !== null) {
    throw new AppError('INPUT_INVALID', `${label}: ${why}`, { details: { label, count, sum, sumOfSquares, kind } });
  }
}
