import { AppError } from '../../errors.js';
import type { ArmStats } from './arm-stats.js';
import {
  differenceOfMeansInterval, meanInterval, DEFAULT_EXPECTED_SAMPLE_SIZE, type AlwaysValidInterval,
} from './confidence-sequence.js';

/*
 * The decision for a live A/B experiment (candidate config vs the current one), safe to call after every run.
 *
 * Two metrics, each with an always-valid interval for candidate − control (confidence-sequence.ts):
 *   success  0/1 per run. Guarded by non-inferiority: the candidate may lose at most `nonInferiorityMargin`.
 *   target   what the candidate is meant to improve: a score (higher is better) or cost/latency (lower is better).
 *
 * promote   success lower bound > −margin (non-inferior) AND the target interval excludes 0 on the good side.
 * reject    the target interval excludes 0 on the bad side (clearly worse at all), OR the success upper bound is
 *           below −margin (clearly worse beyond the margin). A success loss known to be smaller than the margin is
 *           not a reason to reject: that is the trade the margin says we accept for a better target; such a
 *           candidate keeps running until non-inferiority is shown or the cap is hit.
 * stop_inconclusive  neither, and the experiment has used `maxSamples` runs (both arms together): the cap
 *           bounds the experiment's length and exposure, whatever the split.
 * continue  otherwise, and always while the smaller arm has fewer than `minSamplesPerArm` runs (the
 *           guarantee is asymptotic: the variance estimates need a sample to settle before anything is decided).
 *
 * Multiple metrics (Bonferroni). Each interval is built at α/2, so the chance that either of them EVER misses
 * its true value, at any look, is at most α. Every wrong decision needs a miss: promoting a candidate that is
 * inferior on success or not better on the target, or rejecting one that is neither worse on the target nor
 * worse than −margin on success. So the family-wise error of the whole rule, under continuous peeking, is ≤ α
 * (Bonferroni is conservative here: the two metrics are correlated and each interval covers both sides).
 *
 * The decision is meant to be sticky: once it is promote or reject, the caller stops the experiment. (Always-
 * valid intervals also allow intersecting them over time; this function is stateless and does not.)
 */

export type TargetDirection = 'higher_is_better' | 'lower_is_better';
export type ExperimentDecision = 'promote' | 'reject' | 'continue' | 'stop_inconclusive';

export interface ArmPair {
  candidate: ArmStats;
  control: ArmStats;
}

export interface DecisionOptions {
  /** Largest acceptable drop in success rate (absolute, 0.02 = two points). Default 0.02. */
  nonInferiorityMargin?: number;
  /** Family-wise error over both metrics and all looks; split α/2 per interval. Default 0.05. */
  alpha?: number;
  /** No decision before the smaller arm has this many runs. Default 100. */
  minSamplesPerArm?: number;
  /** stop_inconclusive once both arms together have this many runs (pairs, for pairedDecision). Default 100,000. */
  maxSamples?: number;
  /** Effective sample size per arm the intervals are tuned for. Default DEFAULT_EXPECTED_SAMPLE_SIZE. */
  expectedSampleSize?: number;
}

export interface ExperimentInput {
  /** Totals of a 0/1 success flag per run. */
  success: ArmPair;
  /** Totals of the target metric per run, and which way is better. */
  target: ArmPair & { direction: TargetDirection };
  options?: DecisionOptions;
}

export interface PairedInput {
  /** Totals of (candidate success − control success) per replayed request: values −1, 0, +1. */
  successDifferences: ArmStats;
  /** Totals of (candidate target − control target) per replayed request. */
  targetDifferences: ArmStats;
  direction: TargetDirection;
  options?: DecisionOptions;
}

export interface DecisionChecks {
  enoughSamples: boolean;
  atSampleCap: boolean;
  successNonInferior: boolean;
  successWorseBeyondMargin: boolean;
  targetBetter: boolean;
  targetWorse: boolean;
}

export interface ExperimentResult {
  decision: ExperimentDecision;
  /** Human-readable, for logs and Slack; branch on `decision` and `checks`, never on these strings. */
  reasons: string[];
  checks: DecisionChecks;
  /** candidate − control, each at level α/2. */
  intervals: { success: AlwaysValidInterval; target: AlwaysValidInterval };
  /** Runs in the smaller arm (pairs, for the paired version): what the minimum is compared with. */
  samplesPerArm: number;
  /** Runs in both arms together (pairs, for the paired version): what the cap is compared with. */
  totalSamples: number;
}

const DEFAULTS = {
  nonInferiorityMargin: 0.02, alpha: 0.05, minSamplesPerArm: 100, maxSamples: 100_000,
  expectedSampleSize: DEFAULT_EXPECTED_SAMPLE_SIZE,
} as const;

/** Decision for a live experiment with two independent arms. */
export function decide(input: ExperimentInput): ExperimentResult {
  const options = resolveOptions(input.options);
  // Each interval at α/2 (Bonferroni). Option objects are written out, not spread: this runs after every run.
  const alpha = options.alpha / 2;
  const { expectedSampleSize } = options;
  const success = differenceOfMeansInterval(input.success.candidate, input.success.control, { alpha, expectedSampleSize, kind: 'binary' });
  const target = differenceOfMeansInterval(input.target.candidate, input.target.control, { alpha, expectedSampleSize, kind: 'continuous' });
  const samplesPerArm = Math.min(input.success.candidate.count, input.success.control.count,
    input.target.candidate.count, input.target.control.count);
  const totalSamples = Math.max(input.success.candidate.count + input.success.control.count,
    input.target.candidate.count + input.target.control.count);
  return ruleFromIntervals(success, target, input.target.direction, samplesPerArm, totalSamples, options, 'runs in the smaller arm');
}

/**
 * Screening version: both configs answered the same replayed requests, so each request gives one difference
 * and the interval is the one-sample always-valid interval on the mean difference. Pairing removes the
 * between-request variance, so it decides with far fewer requests than a split of live traffic. Same rule,
 * same α split; min and cap count pairs.
 */
export function pairedDecision(input: PairedInput): ExperimentResult {
  const options = resolveOptions(input.options);
  const alpha = options.alpha / 2;
  const { expectedSampleSize } = options;
  const success = meanInterval(input.successDifferences, { alpha, expectedSampleSize, kind: 'binary_difference' });
  const target = meanInterval(input.targetDifferences, { alpha, expectedSampleSize, kind: 'continuous' });
  const samplesPerArm = Math.min(input.successDifferences.count, input.targetDifferences.count);
  const totalSamples = Math.max(input.successDifferences.count, input.targetDifferences.count);
  return ruleFromIntervals(success, target, input.direction, samplesPerArm, totalSamples, options, 'pairs');
}

function ruleFromIntervals(
  success: AlwaysValidInterval, target: AlwaysValidInterval, direction: TargetDirection,
  samplesPerArm: number, totalSamples: number, options: Required<DecisionOptions>, unit: string,
): ExperimentResult {
  const margin = options.nonInferiorityMargin;
  const better = direction === 'higher_is_better' ? target.lower > 0 : target.upper < 0;
  const worse = direction === 'higher_is_better' ? target.upper < 0 : target.lower > 0;
  const checks: DecisionChecks = {
    enoughSamples: samplesPerArm >= options.minSamplesPerArm,
    atSampleCap: totalSamples >= options.maxSamples,
    successNonInferior: success.lower > -margin,
    successWorseBeyondMargin: success.upper < -margin,
    targetBetter: better,
    targetWorse: worse,
  };
  const intervals = { success, target };
  const successText = `success ${describe(success)}`;
  const targetText = `target (${direction === 'higher_is_better' ? 'higher is better' : 'lower is better'}) ${describe(target)}`;
  // Hot path (called after every run): a plain helper, not a closure or a spread per call.
  const base: ResultBody = { checks, intervals, samplesPerArm, totalSamples };

  if (!checks.enoughSamples) {
    return withDecision(base, 'continue', [`${samplesPerArm} ${unit}; no decision before ${options.minSamplesPerArm}`]);
  }
  const rejections: string[] = [];
  if (checks.targetWorse) rejections.push(`${targetText}: clearly worse`);
  if (checks.successWorseBeyondMargin) rejections.push(`${successText}: upper bound below −${margin}, worse beyond the margin`);
  if (rejections.length > 0) return withDecision(base, 'reject', rejections);
  if (checks.successNonInferior && checks.targetBetter) {
    return withDecision(base, 'promote', [`${successText}: lower bound above −${margin}, non-inferior`, `${targetText}: clearly better`]);
  }
  const pending = [
    checks.successNonInferior ? `${successText}: non-inferior` : `${successText}: non-inferiority not shown yet`,
    checks.targetBetter ? `${targetText}: clearly better` : `${targetText}: no clear difference yet`,
  ];
  if (checks.atSampleCap) return withDecision(base, 'stop_inconclusive', [`sample cap of ${options.maxSamples} reached`, ...pending]);
  return withDecision(base, 'continue', pending);
}

type ResultBody = Omit<ExperimentResult, 'decision' | 'reasons'>;

function withDecision(base: ResultBody, decision: ExperimentDecision, reasons: string[]): ExperimentResult {
  return { decision, reasons, checks: base.checks, intervals: base.intervals, samplesPerArm: base.samplesPerArm,
    totalSamples: base.totalSamples };
}

function describe(interval: AlwaysValidInterval): string {
  return `candidate − control = ${short(interval.estimate)} [${short(interval.lower)}, ${short(interval.upper)}] (α=${interval.alpha})`;
}

function short(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(3) : Number.isNaN(x) ? 'n/a' : x > 0 ? '∞' : '−∞';
}

function resolveOptions(options: DecisionOptions = {}): Required<DecisionOptions> {
  const resolved = {
    nonInferiorityMargin: options.nonInferiorityMargin ?? DEFAULTS.nonInferiorityMargin,
    alpha: options.alpha ?? DEFAULTS.alpha,
    minSamplesPerArm: options.minSamplesPerArm ?? DEFAULTS.minSamplesPerArm,
    maxSamples: options.maxSamples ?? DEFAULTS.maxSamples,
    expectedSampleSize: options.expectedSampleSize ?? DEFAULTS.expectedSampleSize,
  };
  if (!(resolved.nonInferiorityMargin >= 0)) throw invalid('nonInferiorityMargin must be >= 0', resolved);
  if (!(resolved.minSamplesPerArm >= 2)) throw invalid('minSamplesPerArm must be at least 2', resolved);
  if (!(resolved.maxSamples >= 2 * resolved.minSamplesPerArm)) throw invalid('maxSamples must be >= 2·minSamplesPerArm', resolved);
  return resolved;
}

function invalid(message: string, details: Record<string, unknown>): AppError {
  return new AppError('INPUT_INVALID', message, { details });
}
