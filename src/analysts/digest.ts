import type { AnalystStore } from '../store/analysts.js';
import { ms, pct, plural, usd } from '../text/format.js';
import type { AdminNotices, AnalystJob, JobContext, JobResult } from './job.js';

interface DigestFigures {
  runs: number; succeeded: number; finished: number; p50Ms: number | null; p95Ms: number | null; costUsd: number; learningCostUsd: number;
  budgets: Array<{ scope: string; scopeId: string; period: string; limitUsd: number; spentUsd: number }>;
  newPatterns: Array<{ example: string; occurrences: number; strength: string }>;
  newWorkflows: Array<{ name: string; kind: string; status: string }>;
  errors: Array<{ errorClass: string; count: number }>;
  recoveries: Array<{ strategy: string; tried: number; worked: number }>;
  proposals: number;
  anomalies: number;
}

function figures(raw: Record<string, unknown>): DigestFigures {
  const camel = (v: unknown): unknown => Array.isArray(v) ? v.map(camel) : v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), camel(x)]))
    : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
  return camel(raw) as DigestFigures;
}

/** What the assistant did and learned since a time, in a few lines a team lead reads. */
export function renderDigest(raw: Record<string, unknown>, label = 'the last 24 hours'): string {
  const d = figures(raw);
  const success = d.finished > 0 ? `${pct(d.succeeded / d.finished)} succeeded` : 'none finished';
  const lines = [
    `*Daily digest — ${label}*`,
    `${plural(d.runs, 'request')}, ${success}; latency p50 ${d.p50Ms === null ? 'n/a' : ms(d.p50Ms)}, p95 ${d.p95Ms === null ? 'n/a' : ms(d.p95Ms)}.`,
    `Spent ${usd(d.costUsd)} answering${d.learningCostUsd > 0 ? ` and ${usd(d.learningCostUsd)} learning (analysts)` : ''}.` +
      (d.budgets.length ? ` Budgets: ${d.budgets.map((b) => `${b.scope === 'global' ? 'global' : `${b.scope} ${b.scopeId}`} ${b.period} ${usd(b.spentUsd)} of ${usd(b.limitUsd)}`).join(' · ')}.` : ''),
  ];
  if (d.newPatterns.length) lines.push(`New recurring requests: ${d.newPatterns.map((p) => `“${p.example.slice(0, 50)}” ×${p.occurrences} (${p.strength})`).join(' · ')}.`);
  if (d.newWorkflows.length) lines.push(`New workflows: ${d.newWorkflows.map((w) => `\`${w.name}\` (${w.kind}, ${w.status})`).join(', ')}.`);
  if (d.errors.length) lines.push(`Errors: ${d.errors.map((e) => `${e.errorClass} ×${e.count}`).join(' · ')}.`);
  if (d.recoveries.length) lines.push(`Recoveries: ${d.recoveries.map((r) => `${r.strategy.replace('_', ' ')} worked ${r.worked} of ${r.tried}`).join(' · ')}.`);
  if (d.proposals || d.anomalies) lines.push(`${plural(d.proposals, 'improvement proposal')} filed; ${plural(d.anomalies, 'anomaly', 'anomalies')} raised.`);
  return lines.join('\n');
}

/** The daily digest to the admins. */
export class DigestJob implements AnalystJob {
  readonly name = 'digest' as const;

  constructor(private readonly deps: { store: { analysts: Pick<AnalystStore, 'digest'> }; notices: AdminNotices; now?: () => number }) {}

  async run(_ctx: JobContext): Promise<JobResult> {
    const raw = await this.deps.store.analysts.digest(new Date((this.deps.now?.() ?? Date.now()) - 86_400_000));
    const text = renderDigest(raw);
    await this.deps.notices.post(text);
    return { rowsRead: Number(raw.runs ?? 0), findings: 0, proposals: 0, summary: ['digest posted'], detail: { text } };
  }
}
