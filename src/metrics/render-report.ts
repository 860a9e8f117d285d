import { CATEGORY_LABELS, type FeedbackCategory } from '../feedback/classify.js';
import { effect, ms, pct, plural, rating, usd } from '../text/format.js';
import { PERIODS, type MetricsReport } from '../store/metrics.js';
import { mrkdwnSection } from '../slack/blocks.js';

export interface RenderedReport {
  title: string;
  /** mrkdwn lines; the console prints them as they are, Slack gets them as the message fallback. */
  lines: string[];
  blocks: unknown[];
}


/**
 * The metrics report as text and Block Kit. Both come from the same lines, so the console and Slack show
 * the same figures; every figure is straight from metrics_report() (SQL), formatted, never recomputed.
 */
export function renderReport(report: MetricsReport): RenderedReport {
  const scope = report.agentId ? ` · agent \`${report.agentId}\`` : '';
  const title = `Metrics — ${PERIODS[report.period].label}`;
  const runs = report.runs === 0
    ? 'Runs: 0'
    : `Runs: ${report.runs} · Success rate: ${report.successRate === null ? 'n/a' : `${pct(report.successRate)} (${report.succeeded} of ${report.finished} finished)`}`;
  const latency = `Latency: p50 ${report.p50Ms === null ? 'n/a' : ms(report.p50Ms)} · p95 ${report.p95Ms === null ? 'n/a' : ms(report.p95Ms)}`;
  const cost = `Cost: ${usd(report.costUsd)} total · ${report.costPerQueryUsd === null ? 'n/a' : usd(report.costPerQueryUsd)} per query` +
    (report.costUnknownSteps > 0 ? ` (plus ${plural(report.costUnknownSteps, 'step')} on models without a price)` : '');
  const budget = report.budgets.length === 0
    ? 'Budget: none set'
    : `Budget: ${report.budgets.map((b) => `${b.scope === 'global' ? 'global' : `${b.scope} ${b.scopeId}`} ${b.period} ${usd(b.spentUsd)} of ${usd(b.limitUsd)} (${pct(b.spentUsd / b.limitUsd)})`).join(' · ')}`;
  const feedback = `Feedback: ${report.feedbackCount}` +
    (report.avgRating === null ? ' (no ratings)' : ` · average rating ${rating(report.avgRating)} from ${plural(report.ratedCount, 'rating')}`);
  const agents = `Top agents: ${report.topAgents.length === 0 ? 'none' : report.topAgents.map((a) =>
    `\`${a.agentId}\` ${plural(a.runs, 'run')} (${pct(a.succeeded / a.runs)} ok, ${usd(a.costUsd)})`).join(' · ')}`;
  // Sections only the learning loop fills are shown once it has something in them, never as an empty promise.
  const patterns = report.topPatterns.length === 0 ? null : `Top patterns: ${report.topPatterns.map((p) =>
    `“${p.example.slice(0, 60)}” ×${p.occurrences}${p.strength ? ` (${p.strength})` : ''}`).join(' · ')}`;
  const errors = `Top errors: ${report.topErrors.length === 0 ? 'none' : report.topErrors.map((e) => `${e.errorClass} ×${e.count}`).join(' · ')}`;
  const improvements = report.improvementsApplied === 0 ? null : `Improvements applied: ${report.improvementsApplied}` + (report.improvements.length === 0 ? '' : `\n${report.improvements.map((i) =>
    `• ${CATEGORY_LABELS[i.category as FeedbackCategory] ?? i.category ?? 'change'} on ${i.targetKind}${i.targetId ? ` \`${i.targetId}\`` : ''}: ${effect(i.measuredImpact)}`).join('\n')}`);
  const lines = [`*${title}*${scope}`, runs, latency, cost, budget, feedback, agents, patterns, errors, improvements].filter((l): l is string => l !== null);
  if (report.runs === 0) lines.push(`No runs in ${PERIODS[report.period].label}${report.agentId ? ` for \`${report.agentId}\`` : ''}, so there is no chart.`);

  const blocks = [
    { type: 'header', text: { type: 'plain_text', text: `${title}${report.agentId ? ` · ${report.agentId}` : ''}`.slice(0, 150) } },
    { type: 'section', fields: [runs, latency, cost, feedback].map((text) => ({ type: 'mrkdwn', text })) },
    mrkdwnSection(budget),
    mrkdwnSection(agents),
    ...(patterns ? [mrkdwnSection(patterns)] : []),
    mrkdwnSection(errors),
    ...(improvements ? [mrkdwnSection(improvements)] : []),
    ...(report.runs === 0 ? [mrkdwnSection(lines.at(-1)!)] : []),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `From the run log in SQL at ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC. Days are UTC days.` }] },
  ];
  return { title, lines, blocks };
}
