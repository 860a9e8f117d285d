import type { Anomaly, AnalystStore } from '../store/analysts.js';
import { ms, pct, usd } from '../text/format.js';
import type { AdminNotices, AnalystJob, JobContext, JobResult } from './job.js';

/**
 * The last hour against the trailing week, per specialist version and overall: error rate, p95 latency, cost per
 * run and correction rate. A metric beyond its bound opens an episode, alerted once to the admins with example
 * runs; the episode closes when the metric is back within it.
 */
export class AnomalyAnalyst implements AnalystJob {
  readonly name = 'anomalies' as const;

  constructor(private readonly deps: {
    store: { analysts: Pick<AnalystStore, 'rollup' | 'anomalies'> }; notices: AdminNotices; settleSeconds: number; factor: number; minRuns: number;
  }) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const rolled = await this.deps.store.analysts.rollup(ctx.job, ctx.generation, this.deps.settleSeconds);
    if (!rolled.ok) return { ok: false, rowsRead: 0, findings: 0, proposals: 0, summary: ['another instance took this run over'] };
    const pass = await this.deps.store.analysts.anomalies(ctx.job, ctx.generation, { factor: this.deps.factor, minRuns: this.deps.minRuns });
    if (!pass.ok) return { ok: false, rowsRead: rolled.rowsRead, findings: 0, proposals: 0, summary: ['another instance took this run over'] };
    for (const anomaly of pass.opened) await this.deps.notices.post(describeAnomaly(anomaly)).catch(() => {});
    return {
      rowsRead: rolled.rowsRead, findings: pass.opened.length, proposals: 0,
      summary: [`${pass.opened.length} new anomal${pass.opened.length === 1 ? 'y' : 'ies'}, ${pass.closed} closed`],
      detail: { opened: pass.opened },
    };
  }
}

const METRIC = {
  error_rate: { name: 'error rate', show: pct },
  correction_rate: { name: 'correction rate', show: pct },
  cost_per_run: { name: 'cost per run', show: usd },
  p95_latency: { name: 'p95 latency', show: ms },
} as const;

export function describeAnomaly(a: Anomaly): string {
  const metric = METRIC[a.metric];
  const scope = a.scope === '*' ? 'all specialists' : `\`${a.scope.replace('@', '` v')}`;
  return `*Anomaly:* ${metric.name} of ${scope} is ${metric.show(a.observed)} in the last hour (trailing week: ` +
    `${a.baseline === null ? 'n/a' : metric.show(a.baseline)}), over ${a.runs} runs.` +
    (a.exampleRunIds.length ? ` Example runs: ${a.exampleRunIds.map((id) => `\`${id}\``).join(', ')}.` : '');
}
