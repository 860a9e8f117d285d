import { camelize, numberOrNull } from './rows.js';
import type { RpcTransport } from './rpc.js';

export type BudgetScope = 'global' | 'workspace' | 'user' | 'agent';
export type BudgetPeriod = 'daily' | 'monthly';
export type BudgetAction = 'warn' | 'refuse' | 'downgrade';

/** A budget with what its scope spent in the current period. */
export interface Budget {
  id: string;
  scope: BudgetScope;
  /** '*' for global; the workspace, user or agent id otherwise. */
  scopeId: string;
  period: BudgetPeriod;
  limitUsd: number;
  action: BudgetAction;
  createdBy: string | null;
  spentUsd: number;
  periodStart: string;
  resetsAt: string;
}

export interface BudgetAlert {
  budget: Budget;
  threshold: 80 | 100;
  spentUsd: number;
}

export interface SpendReport {
  totalUsd: number;
  unknownCostSteps: number;
  learningUsd: number;
  byUser: Array<{ userId: string; runs: number; costUsd: number }>;
  byAgent: Array<{ agentId: string; runs: number; costUsd: number }>;
  byWorkflow: Array<{ workflowId: string; runs: number; costUsd: number }>;
  byModel: Array<{ model: string; calls: number; tokens: number; costUsd: number | null; unknownCostCalls: number }>;
  byDay: Array<{ day: string; runs: number; costUsd: number }>;
}

export function toBudget(row: unknown): Budget {
  const b = camelize<Budget>(row);
  b.limitUsd = numberOrNull(b.limitUsd) ?? 0;
  b.spentUsd = numberOrNull(b.spentUsd) ?? 0;
  return b;
}

/** Nested JSON → camelCase with numbers (numeric columns may arrive as strings on some transports). */
function deep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      typeof v === 'string' && /(usd|runs|calls|tokens|steps)$/i.test(k) && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : deep(v)]));
  }
  return value;
}

/** Budgets (set by admins), their spend, the once-per-threshold alerts, and spend reports — all in SQL over the run log. */
export class BudgetStore {
  constructor(private readonly rpc: RpcTransport) {}

  async set(input: { scope: BudgetScope; scopeId?: string; period: BudgetPeriod; limitUsd: number; action: BudgetAction; createdBy?: string }): Promise<Budget> {
    return toBudget(await this.rpc.call('budget_set', {
      p_scope: input.scope, p_scope_id: input.scopeId ?? '*', p_period: input.period, p_limit_usd: input.limitUsd, p_action: input.action,
      p_created_by: input.createdBy,
    }));
  }

  async remove(scope: BudgetScope, scopeId: string, period: BudgetPeriod): Promise<boolean> {
    return ((await this.rpc.call('budget_remove', { p_scope: scope, p_scope_id: scopeId, p_period: period })) as { removed: boolean }).removed;
  }

  async list(): Promise<Budget[]> {
    return ((await this.rpc.call('budget_list', {})) as unknown[]).map(toBudget);
  }

  /**
   * The budgets that may cover a request before its agent is chosen: global, the workspace's, the person's and every
   * agent budget (keep the chosen agent's), with their spend, so one read serves both checks of a request.
   */
  async requestStatus(workspaceId: string, userId?: string): Promise<Budget[]> {
    return ((await this.rpc.call('budget_request_status', { p_workspace_id: workspaceId, p_user_id: userId })) as unknown[]).map(toBudget);
  }

  /** True for exactly one caller per budget, threshold and period, across instances. */
  async claimAlert(budgetId: string, threshold: 80 | 100, spentUsd: number): Promise<boolean> {
    return ((await this.rpc.call('budget_alert_claim', { p_budget_id: budgetId, p_threshold: threshold, p_spent_usd: spentUsd })) as { claimed: boolean }).claimed;
  }

  /** Every 80 % / 100 % alert due and not raised yet in this period, raised now (once). */
  async alertsDue(): Promise<BudgetAlert[]> {
    return ((await this.rpc.call('budget_alerts_due', {})) as unknown[]).map((row) => {
      const r = row as { budget: unknown; threshold: 80 | 100; spent_usd: unknown };
      return { budget: toBudget(r.budget), threshold: r.threshold, spentUsd: numberOrNull(r.spent_usd) ?? 0 };
    });
  }

  async spend(since: Date, workspaceId?: string): Promise<SpendReport> {
    return deep(await this.rpc.call('spend_report', { p_since: since, p_workspace_id: workspaceId })) as SpendReport;
  }
}
