import { AppError } from '../../errors.js';
import type { ArmStats, VarianceKind } from './arm-stats.js';
import { differenceOfMeansOneSidedBound, DEFAULT_EXPECTED_SAMPLE_SIZE, type OneSidedBound } from './confidence-sequence.js';
import type { TargetDirection } from './decide.js';

/*
 * After a promotion, watch the promoted config's metric against what it scored before promotion (its
 * candidate arm in the experiment, a fixed sample) and roll back once it is clearly worse by more than a margin.
 *
 * One-sided, always-valid: the bound on (recent − baseline) in the good direction comes from the half-normal
 * mixture (confidence-sequence.ts, oneSidedMultiplier), so checking after every run keeps the chance of a
 * false rollback, over the whole watch, at most α. The baseline does not grow; the recent window does. The
 * information-time argument still holds (the baseline's error is one fixed term in every look), and the
 * interval stops shrinking once the recent window dwarfs the baseline: the baseline's own uncertainty remains.
 *
 * What it cannot see: this is a before/after comparison, not a concurrent one. A change in the mix of requests
 * after promotion moves the metric too; the margin is the allowance for that.
 */

export type WatchAction = 'keep' | 'rollback';

export interface WatchOptions {
  direction: TargetDirection;
  /** Tolerated worsening in the metric's units (e.g. 0.02 on a 0..1 score). Default 0. */
  margin?: number;
  /** Chance of ever rolling back a config that is not worse beyond the margin. Default 0.05. */
  alpha?: number;
  /** No rollback before the recent window has this many runs. Default 100. */
  minSamples?: number;
  expectedSampleSize?: number;
  /** 'binary' for a 0/1 metric such as success. Default 'continuous'. */
  kind?: VarianceKind;
}

export interface WatchResult {
  action: WatchAction;
  /** Always-valid upper bound on the improvement sign·(recent − baseline); rollback when below −margin. */
  improvementUpperBound: number;
  estimate: number;
  bound: OneSidedBound;
  reasons: string[];
}

export function watchAfterPromotion(baseline: ArmStats, recent: ArmStats, options: WatchOptions): WatchResult {
  const margin = options.margin ?? 0;
  const minSamples = options.minSamples ?? 100;
  if (!(margin >= 0)) throw new AppError('INPUT_INVALID', 'margin must be >= 0', { details: { margin } });
  const sign = options.direction === 'higher_is_better' ? 1 : -1;
  // Higher is better: bound recent − baseline from above. Lower is better: bound it from below, then flip.
  const bound = differenceOfMeansOneSidedBound(recent, baseline, sign === 1 ? 'upper' : 'lower', {
    alpha: options.alpha ?? 0.05,
    expectedSampleSize: options.expectedSampleSize ?? DEFAULT_EXPECTED_SAMPLE_SIZE,
    kind: options.kind ?? 'continuous',
  });
  const improvementUpperBound = sign * bound.bound;
  const estimate = sign * bound.estimate;
  const text = `improvement since promotion ${round(estimate)} (always-valid upper bound ${round(improvementUpperBound)}, α=${bound.alpha})`;
  if (recent.count < minSamples) {
    return { action: 'keep', improvementUpperBound, estimate, bound, reasons: [`${recent.count} runs since promotion; no rollback before ${minSamples}`] };
  }
  if (improvementUpperBound < -margin) {
    return { action: 'rollback', improvementUpperBound, estimate, bound, reasons: [`${text}: worse than before promotion by more than ${margin}`] };
  }
  return { action: 'keep', improvementUpperBound, estimate, bound, reasons: [`${text}: not shown worse beyond ${margin}`] };
}

function round(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(3) : x > 0 ? '∞' : '−∞';
}
