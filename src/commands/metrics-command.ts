import { renderMetricsChart } from '../metrics/chart.js';
import { PERIODS, type Period } from '../store/metrics.js';
import { renderReport } from '../metrics/render-report.js';
import type { Store } from '../store/store.js';
import type { CommandContext, CommandReply } from './dispatcher.js';
import { renderDigest } from '../analysts/digest.js';
import { reply, shown, usage } from './usage.js';

export type MetricsArgs = { period: Period; agentId?: string };

const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** `[24h|7d|30d|all] [agent]` in either order; anything shaped like a period but not one is a bad period. */
export function parseMetrics(raw: string): MetricsArgs | { error: string | null } {
  const words = raw.trim().split(/\s+/).filter(Boolean).map((w) => w.toLowerCase());
  if (words.length === 1 && /^(help|-h|--help|\?)$/.test(words[0]!)) return { error: null };
  if (words.length > 2) return { error: 'Too many arguments: give at most a period and an agent, e.g. `/metrics 30d research`.' };
  let period: Period | undefined;
  let agentId: string | undefined;
  for (const word of words) {
    if (word in PERIODS) {
      if (period) return { error: `Give one period (you gave ${shown(period)} and ${shown(word)}).` };
      period = word as Period;
    } else if (/^[+-]?\d+(?:[.,]\d+)?[a-z]*$/.test(word) || /^((last|past)-?)?(hour|day|week|month|year|today|yesterday|hourly|daily|weekly|monthly|yearly)s?$/.test(word)) {
      return { error: `${shown(word)} is not a period I know: use 24h, 7d, 30d or all.` };
    } else if (!agentId && AGENT_ID.test(word)) {
      agentId = word;
    } else {
      return { error: `I did not understand ${shown(word)}: it is neither a period (24h, 7d, 30d, all) nor an agent id (lowercase letters, digits, - and _).` };
    }
  }
  return { period: period ?? '7d', ...(agentId ? { agentId } : {}) };
}

/** /metrics: the report from the run log, and a chart of it as a PNG when there is anything to draw. */
export async function metricsCommand(store: Store, text: string, context: CommandContext): Promise<CommandReply> {
  // `/metrics digest`: the daily digest the admins get, for the last 24 hours, on demand.
  if (/^\s*digest\s*$/i.test(text)) return reply(renderDigest(await store.analysts.digest(new Date(Date.now() - 86_400_000))));
  const args = parseMetrics(text);
  if ('error' in args) return usage('metrics', args.error ?? undefined);
  const report = await store.metrics.report(context.workspaceId, args.period, args.agentId, context.userId);
  if (!report) {
    const { total, agents } = await store.agents.list({ limit: 12 });
    const known = agents.map((a) => `\`${a.agentId}\``).join(', ') + (total > agents.length ? `, … (${total} in all)` : '');
    return usage('metrics', `There is no agent \`${args.agentId}\`. Agents: ${known}.`);
  }
  const rendered = renderReport(report);
  const png = report.runs > 0 ? renderMetricsChart(report.daily, rendered.title) : null;
  return {
    text: rendered.lines.join('\n'),
    blocks: rendered.blocks,
    ...(png ? { files: [{ filename: `metrics-${args.period}${args.agentId ? `-${args.agentId}` : ''}.png`, title: `${rendered.title}${args.agentId ? ` · ${args.agentId}` : ''}`, bytes: png }] } : {}),
  };
}
