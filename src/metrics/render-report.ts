import { CATEGORY_LABELS, type FeedbackCategory } from '../feedback/classify.js';
import { effect, ms, pct, plural, rating, usd } from '../text/format.js';
import { PERIODS, type MetricsReport } from '../store/metrics.js';
import { mrkdwnSection } from '../slack/blocks.js';
import { categoryLabel, explain, type DecisionRecord } from '../improvement/describe.js';

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
  const unconfigured = report.notConfigured > 0
    ? `Not counted: ${plural(report.notConfigured, 'request')} refused because no model is configured (OPENAI_API_KEY or OPENAI_BASE_URL).` : null;
  const latency = `Latency: p50 ${report.p50Ms === null ? 'n/a' : ms(report.p50Ms)} · p95 ${report.p95Ms === null ? 'n/a' : ms(report.p95Ms)}`;
  const cost = `Cost: ${usd(report.costUsd)} total · ${report.costPerQueryUsd === null ? 'n/a' : usd(report.costPerQueryUsd)} per query` +
    (report.costUnknownSteps > 0 ? ` (plus ${plural(report.costUnknownSteps, 'step')} on models without a price)` : '') +
    // Learning spends model calls too (analysts, screening): shown with every cost figure, never hidden.
    (report.learning.learningCostUsd > 0 ? ` · learning ${usd(report.learning.learningCostUsd)} more (${plural(report.learning.learningRuns, 'analyst run')})` : '');
  const budget = report.budgets.length === 0
    ? 'Budget: none set'
    : `Budget: ${report.budgets.map((b) => `${b.scope === 'global' ? 'global' : `${b.scope} ${b.scopeId}`} ${b.period} ${usd(b.spentUsd)} of ${usd(b.limitUsd)} (${pct(b.spentUsd / b.limitUsd)})`).join(' · ')}`;
  const yours = report.learning.userBudgets.length === 0 ? null : `Your budget: ${report.learning.userBudgets.map((b) =>
    `${b.period} ${usd(b.spentUsd)} of ${usd(b.limitUsd)} (${pct(b.limitUsd > 0 ? b.spentUsd / b.limitUsd : 0)}, ${b.action} when used up)`).join(' · ')}`;
  const analysts = report.learning.analystRuns.length === 0 ? null : `Analysts: ${report.learning.analystRuns.map((r) =>
    `${r.job} ${r.finishedAt ? ago(r.finishedAt, report.generatedAt) : 'running'}${r.error ? ` — failed: ${r.error.slice(0, 80)}` : ''}`).join(' · ')}` +
    (report.learning.proposalsOpen > 0 ? ` · ${plural(report.learning.proposalsOpen, 'proposal')} open` : '');
  const feedback = `Feedback: ${report.feedbackCount}` +
    (report.avgRating === null ? ' (no ratings)' : ` · average rating ${rating(report.avgRating)} from ${plural(report.ratedCount, 'rating')}`);
  const agents = `Top agents: ${report.topAgents.length === 0 ? 'none' : report.topAgents.map((a) =>
    `\`${a.agentId}\` ${plural(a.runs, 'run')} (${pct(a.succeeded / a.runs)} ok, ${usd(a.costUsd)})`).join(' · ')}`;
  // Sections only the learning loop fills are shown once it has something in them, never as an empty promise.
  const patterns = report.topPatterns.length === 0 ? null : `Top patterns: ${report.topPatterns.map((p) =>
    `“${p.example.slice(0, 60)}” ×${p.occurrences}${p.strength ? ` (${p.strength})` : ''}`).join(' · ')}`;
  const errors = `Top errors: ${report.topErrors.length === 0 ? 'none' : report.topErrors.map((e) => `${e.errorClass} ×${e.count}`).join(' · ')}`;
  const improvements = report.improvementsApplied === 0 ? null : `Improvements applied: ${report.improvementsApplied}` + (report.improvements.length === 0 ? '' : `\n${report.improvements.map((i) =>
    `• ${CATEGORY_LABELS[i.category as FeedbackCategory] ?? categoryLabel(i.category)} on ${i.targetKind}${i.targetId ? ` \`${i.targetId}\`` : ''}: ` +
    // Changes decided by an experiment carry its decision record; older ones a free-form effect.
    (i.measuredImpact && 'target' in i.measuredImpact ? explain({ category: i.category }, i.measuredImpact as DecisionRecord) : effect(i.measuredImpact))).join('\n')}` +
    '\n_`/metrics improvements` for every change tried, how sure, and why._');
  const lines = [`*${title}*${scope}`, runs, unconfigured, latency, cost, budget, yours, feedback, agents, patterns, errors, improvements, analysts].filter((l): l is string => l !== null);
  if (report.runs === 0) lines.push(`No runs in ${PERIODS[report.period].label}${report.agentId ? ` for \`${report.agentId}\`` : ''}, so there is no chart.`);

  const blocks = [
    { type: 'header', text: { type: 'plain_text', text: `${title}${report.agentId ? ` · ${report.agentId}` : ''}`.slice(0, 150) } },
    { type: 'section', fields: [runs, latency, cost, feedback].map((text) => ({ type: 'mrkdwn', text })) },
    ...(unconfigured ? [mrkdwnSection(unconfigured)] : []),
    mrkdwnSection(budget),
    ...(yours ? [mrkdwnSection(yours)] : []),
    mrkdwnSection(agents),
    ...(patterns ? [mrkdwnSection(patterns)] : []),
    mrkdwnSection(errors),
    ...(improvements ? [mrkdwnSection(improvements)] : []),
    ...(analysts ? [mrkdwnSection(analysts)] : []),
    ...(report.runs === 0 ? [mrkdwnSection(lines.at(-1)!)] : []),
    { type: 'context', elements: [{ type: 'mrkdwn', text: `From the run log in SQL at ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC. Days are UTC days.` }] },
  ];
  return { title, lines, blocks };
}

/** "12 min ago", "3 h ago", "2 days ago", relative to when the report was made. */
function ago(at: string, now: string): string {
  const minutes = Math.max(0, (Date.parse(now) - Date.parse(at)) / 60_000);
  return minutes < 1 ? 'just now' : minutes < 90 ? `${Math.round(minutes)} min ago` : minutes < 48 * 60 ? `${Math.round(minutes / 60)} h ago` : `${Math.round(minutes / 1440)} days ago`;
}
