import type { RpcTransport } from './rpc.js';

export type Period = '24h' | '7d' | '30d' | 'all';
export const PERIODS: Record<Period, { hours: number | null; label: string }> = {
  '24h': { hours: 24, label: 'the last 24 hours' },
  '7d': { hours: 24 * 7, label: 'the last 7 days' },
  '30d': { hours: 24 * 30, label: 'the last 30 days' },
  all: { hours: null, label: 'all time' },
};

export interface DayMetrics { day: string; runs: number; finished: number; succeeded: number; costUsd: number }

export interface BudgetUse {
  scope: 'global' | 'workspace' | 'agent' | 'user';
  scopeId: string;
  period: 'daily' | 'monthly';
  limitUsd: number;
  action: string;
  spentUsd: number;
}

export interface AppliedImprovement {
  id: string;
  category: string | null;
  targetKind: string;
  targetId: string | null;
  expectedImpact: string | null;
  measuredImpact: Record<string, unknown> | null;
  decidedAt: string | null;
}

/** Every figure of the /metrics report, as computed by metrics_report() in SQL. */
export interface MetricsReport {
  period: Period;
  agentId: string | null;
  since: string | null;
  generatedAt: string;
  runs: number;
  finished: number;
  succeeded: number;
  /** succeeded / finished; null without finished runs. */
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  costUsd: number;
  /** Model steps without a price: when > 0 the true cost is higher than costUsd. */
  costUnknownSteps: number;
  costPerQueryUsd: number | null;
  tokensIn: number;
  tokensOut: number;
  feedbackCount: number;
  ratedCount: number;
  avgRating: number | null;
  topAgents: Array<{ agentId: string; runs: number; succeeded: number; costUsd: number }>;
  topErrors: Array<{ errorClass: string; count: number }>;
  topPatterns: Array<{ signature: string; example: string; occurrences: number; successes: number; avgRating: number | null; strength: string | null }>;
  improvementsApplied: number;
  /** Requests refused because no model is configured: counted apart, not in runs or the success rate. */
  notConfigured: number;
  improvements: AppliedImprovement[];
  budgets: BudgetUse[];
  daily: DayMetrics[];
  /** What learning did and cost: analyst runs (the last of each job), their spend, proposals open, the asker's budgets. */
  learning: LearningFigures;
}

export interface LearningFigures {
  learningCostUsd: number;
  learningRuns: number;
  proposalsOpen: number;
  analystRuns: Array<{ job: string; startedAt: string; finishedAt: string | null; error: string | null; findings: number | null; proposals: number | null }>;
  userBudgets: Array<{ period: string; limitUsd: number; spentUsd: number; action: string; resetsAt: string }>;
}

/**
 * JSON from SQL → the report: snake_case keys to camelCase at every level except measured_impact (free-form,
 * shown as stored), and numeric strings to numbers (numeric columns may arrive as strings on some transports).
 */
function convert(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v));
  if (value && typeof value === 'object') {
    if (key === 'measuredImpact') return value;
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const camel = k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
      return [camel, convert(v, camel)];
    }));
  }
  if (typeof value === 'string' && NUMERIC_KEYS.has(key) && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return value;
}
const NUMERIC_KEYS = new Set(['runs', 'finished', 'succeeded', 'successRate', 'p50Ms', 'p95Ms', 'costUsd', 'costUnknownSteps',
  'costPerQueryUsd', 'tokensIn', 'tokensOut', 'feedbackCount', 'ratedCount', 'avgRating', 'count', 'occurrences', 'successes',
  'improvementsApplied', 'notConfigured', 'limitUsd', 'spentUsd', 'learningCostUsd', 'learningRuns', 'proposalsOpen', 'findings', 'proposals']);

/** The run log, summarised in SQL for /metrics and the App Home. */
export class MetricsStore {
  constructor(private readonly rpc: RpcTransport) {}

  /** Null when `agentId` names no agent. */
  async report(workspaceId: string, period: Period, agentId?: string, userId?: string): Promise<MetricsReport | null> {
    const [row, learning] = await Promise.all([
      this.rpc.call('metrics_report', { p_workspace_id: workspaceId, p_hours: PERIODS[period].hours, p_agent_id: agentId }) as Promise<Record<string, unknown>>,
      this.rpc.call('metrics_learning', { p_workspace_id: workspaceId, p_hours: PERIODS[period].hours, p_user_id: userId }) as Promise<Record<string, unknown>>,
    ]);
    if (row.unknown_agent) return null;
    return { ...(convert(row) as Omit<MetricsReport, 'period' | 'agentId' | 'learning'>), learning: convert(learning) as LearningFigures,
      period, agentId: agentId ?? null };
  }
}
