import type { GoalBudget } from '../config/load-config.js';

export type { GoalBudget } from '../config/load-config.js';

export type BudgetLimit = 'tasks' | 'agents' | 'tokens' | 'cost' | 'time';

export interface GoalUsage {
  tokens: number;
  costUsd: number;
  agents: Set<string>;
}

/** Which limit, if any, the usage has reached. Checked before each task starts and after each finishes. */
export function exceeded(budget: GoalBudget, usage: GoalUsage, elapsedMs: number): BudgetLimit | null {
  if (elapsedMs >= budget.maxSeconds * 1000) return 'time';
  if (usage.tokens >= budget.maxTokens) return 'tokens';
  if (usage.costUsd >= budget.maxCostUsd) return 'cost';
  return null;
}

export const LIMIT_WORDS: Record<BudgetLimit, string> = {
  tasks: 'the task limit',
  agents: 'the limit on specialists per goal',
  tokens: 'the token budget',
  cost: 'the cost budget',
  time: 'the time limit',
};

/** Workspace overrides (workspace_settings.goal_budget) on top of the defaults; unknown keys are ignored. */
export function mergeBudget(defaults: GoalBudget, overrides: Record<string, unknown>): GoalBudget {
  const merged = { ...defaults };
  for (const key of Object.keys(defaults) as Array<keyof GoalBudget>) {
    const value = Number(overrides[key]);
    if (overrides[key] !== undefined && Number.isFinite(value) && value > 0) merged[key] = value;
  }
  return merged;
}
