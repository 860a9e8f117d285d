import type { Experiment } from '../store/experiments.js';
import { ms, pct, plural, usd } from '../text/format.js';

/**
 * Experiments in words a team lead reads: what changed, what it did to its target and to success (with how
 * sure we are), what was decided and why. Used by the loop's notices, /metrics improvements and the App Home.
 */

type Metric = 'cost' | 'score' | 'latency';
interface Interval { estimate: number; lower: number; upper: number }

/** The decision record the loop stores on the experiment and the enhancement (see ExperimentLoop.evaluate). */
export interface DecisionRecord {
  decision?: string;
  reasons?: string[];
  samples?: { candidate: number; control: number };
  target?: { metric: Metric; direction: string };
  before?: number | null;
  after?: number | null;
  successBefore?: number | null;
  successAfter?: number | null;
  interval?: { target?: Interval; success?: Interval };
  margin?: number;
  approvedBy?: string;
  rollback?: string[];
}

const CATEGORY: Record<string, string> = {
  cheaper_model: 'cheaper model', prompt_revision: 'revised prompt', induced_workflow: 'learned workflow', response_cache: 'answer reuse (cache)',
};
const METRIC: Record<Metric, string> = { cost: 'cost per answer', score: 'answer score', latency: 'time to answer' };

export function categoryLabel(category: string | null | undefined): string {
  return CATEGORY[category ?? ''] ?? (category ?? 'change').replace(/_/g, ' ');
}

export function describeTarget(e: Pick<Experiment, 'targetKind' | 'targetId' | 'candidateVersion'>): string {
  if (e.targetKind === 'agent') return `\`${e.targetId}\`${e.candidateVersion ? ` v${e.candidateVersion}` : ''}`;
  if (e.targetKind === 'cache') return `the response cache for \`${e.targetId}\``;
  return `workflow \`${e.targetId.slice(0, 8)}\``;
}

function show(metric: Metric | undefined, x: number): string {
  if (metric === 'cost') return usd(x);
  if (metric === 'latency') return ms(x);
  return x.toFixed(2);
}

function signed(metric: Metric | undefined, x: number): string {
  return `${x < 0 ? '−' : '+'}${show(metric, Math.abs(x))}`;
}

const points = (x: number) => `${x < 0 ? '−' : '+'}${Math.abs(x * 100).toFixed(1)} pts`;

/** One line: what changed, target before → after, success before → after, runs on each side. */
export function explain(enhancement: { category: string | null }, d: DecisionRecord): string {
  const metric = d.target?.metric;
  const value = (x: unknown) => (typeof x === 'number' ? show(metric, x) : 'n/a');
  const success = typeof d.successBefore === 'number' && typeof d.successAfter === 'number' ? `; success ${pct(d.successBefore)} → ${pct(d.successAfter)}` : '';
  return `${categoryLabel(enhancement.category)}: ${metric ?? 'score'} ${value(d.before)} → ${value(d.after)}${success}` +
    (d.samples ? ` (${d.samples.candidate} runs with it, ${d.samples.control} without)` : '');
}

/** Why it was decided, in plain words, from the intervals (the statistician's reasons stay on the record). */
export function why(status: string, d: DecisionRecord): string {
  const metric = d.target?.metric;
  const t = d.interval?.target;
  const s = d.interval?.success;
  const margin = typeof d.margin === 'number' ? ` (the allowed margin is ${(d.margin * 100).toFixed(0)} points)` : '';
  const targetRange = t ? `${METRIC[metric ?? 'score']} changed by ${signed(metric, t.estimate)}, 95 % sure between ${signed(metric, t.lower)} and ${signed(metric, t.upper)}` : '';
  const successRange = s ? `success changed by ${points(s.estimate)}, 95 % sure between ${points(s.lower)} and ${points(s.upper)}` : '';
  const both = [targetRange, successRange].filter(Boolean).join('; ');
  switch (status) {
    case 'promoted':
      return `Kept: it was clearly better on ${METRIC[metric ?? 'score']} and not worse on success beyond the margin${margin}. ${both}.` +
        (d.approvedBy && d.approvedBy !== 'improver' ? ` Approved by <@${d.approvedBy}>.` : '');
    case 'rejected':
      return `Dropped: ${(d.reasons ?? []).some((r) => /rejected by/.test(r)) ? d.reasons!.join('; ') : `it was worse${margin}`}. ${both}.`;
    case 'rolled_back':
      return `Rolled back after promotion: ${(d.rollback ?? []).join('; ') || 'its score dropped'}.`;
    case 'stopped':
      return `Stopped: ${(d.reasons ?? []).join('; ') || 'no clear difference within the sample cap'}.${both ? ` ${both}.` : ''}`;
    default:
      return both ? `So far: ${both}.` : 'Not enough runs yet to say anything.';
  }
}

/** Runs so far on a live experiment, and what it still needs before any decision. */
export function progress(samples: { candidate: number; control: number }, minSamples: number): string {
  const fewer = Math.min(samples.candidate, samples.control);
  if (samples.candidate + samples.control === 0) return `no settled runs yet; no decision before ${minSamples} on each side`;
  return `${plural(samples.candidate, 'run')} with it, ${samples.control} without` +
    (fewer < minSamples ? `; no decision before ${minSamples} on each side` : '; decided as soon as the difference is clear');
}
