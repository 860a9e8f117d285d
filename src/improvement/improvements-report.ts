import type { Experiment, ExperimentStore } from '../store/experiments.js';
import { pct } from '../text/format.js';
import { categoryLabel, describeTarget, explain, progress, why, type DecisionRecord } from './describe.js';

type Listed = Experiment & { enhancement: Record<string, unknown> | null };

export interface ImprovementsReportDeps {
  experiments: Pick<ExperimentStore, 'list' | 'stats'>;
  /** EXPERIMENT_MIN_SAMPLES, to say what a running experiment still needs. */
  minSamples: number;
}

const day = (iso: string) => iso.slice(0, 10);

/**
 * `/metrics improvements` (and `/improver experiments` with ids): every change tried, running ones first with
 * their figures so far, then the decided ones with before → after, the interval, the decision and why.
 */
export async function improvementsReport(deps: ImprovementsReportDeps, options: { withIds?: boolean; limit?: number } = {}): Promise<string> {
  const all = await deps.experiments.list();
  if (all.length === 0) {
    return 'No changes tried yet. The analysts propose them (a cheaper model, a revised prompt, a learned workflow, answer reuse); ' +
      'each is tried on a share of conversations and kept only when measured better.';
  }
  const running = all.filter((e) => e.status === 'running');
  const decided = all.filter((e) => e.status !== 'running').slice(0, options.limit ?? 10);
  const id = (e: Listed) => (options.withIds ? ` \`${e.id.slice(0, 8)}\`` : '');
  const what = (e: Listed) => {
    const candidate = (e.enhancement?.change as { candidate?: unknown } | undefined)?.candidate;
    return `*${categoryLabel(e.enhancement?.category as string | undefined)}* on ${describeTarget(e)}${typeof candidate === 'string' ? ` (${candidate})` : ''}`;
  };
  const lines: string[] = [];
  if (running.length > 0) {
    lines.push(`*Being tried now (${running.length})*`);
    for (const e of running) {
      const stats = await deps.experiments.stats(e.id);
      const samples = { candidate: stats.candidate?.n ?? 0, control: stats.control?.n ?? 0 };
      const rate = (arm: 'candidate' | 'control') => {
        const s = stats[arm]?.success;
        return s && s.count > 0 ? pct(s.sum / s.count) : 'n/a';
      };
      const soFar = samples.candidate > 0 && samples.control > 0 ? `; success so far ${rate('control')} without, ${rate('candidate')} with it` : '';
      lines.push(`•${id(e)} ${what(e)} — on ${pct(e.share)} of new conversations since ${day(e.startedAt)}: ${progress(samples, deps.minSamples)}${soFar}.`);
    }
  }
  if (decided.length > 0) {
    lines.push(`*Decided (${decided.length}${all.length - running.length > decided.length ? ` most recent of ${all.length - running.length}` : ''})*`);
    for (const e of decided) {
      const d = (e.decision ?? {}) as DecisionRecord;
      const figures = d.target ? `${explain({ category: (e.enhancement?.category as string | undefined) ?? null }, d)}. ` : '';
      lines.push(`•${id(e)} ${what(e)} — *${e.status.replace('_', ' ')}* ${e.endedAt ? day(e.endedAt) : ''}. ${figures}${why(e.status, d)}`);
    }
  }
  return lines.join('\n');
}
