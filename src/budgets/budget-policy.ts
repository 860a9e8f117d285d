import { AppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { ServingDecision, ServingPolicy, ServingRequest } from '../serving/serving.js';
import type { Budget, BudgetStore } from '../store/budgets.js';
import { usd } from '../text/format.js';
import type { AdminNotices } from '../ops/admin-notices.js';

export interface BudgetPolicyDeps {
  budgets: Pick<BudgetStore, 'requestStatus' | 'claimAlert'>;
  notices: AdminNotices;
  /** The cheaper model a `downgrade` budget answers on (BUDGET_DOWNGRADE_MODEL). */
  downgradeModel: string;
  logger: Logger;
  now?: () => number;
}

const SEVERITY = { warn: 1, downgrade: 2, refuse: 3 } as const;

/**
 * Budgets on the next request: global, workspace and user budgets are checked before anything else runs (before
 * any model call, routing included); an agent's budget once the agent is chosen. Over a budget the configured
 * action applies: warn (answer, with a note), downgrade (answer on the cheaper model, and say so) or refuse (a
 * clear message naming the budget and when it resets). Crossing 80 % and 100 % raises one alert per threshold
 * per period across instances. When the budgets cannot be read, the request is served (and that is logged).
 */
export class BudgetPolicy implements ServingPolicy {
  private readonly now: () => number;
  /** One read per request: `before` reads every budget that may apply (agent budgets included), `apply` reuses it. */
  private readonly read = new WeakMap<ServingRequest, Promise<Budget[]>>();

  constructor(private readonly deps: BudgetPolicyDeps) {
    this.now = deps.now ?? Date.now;
  }

  async before(request: ServingRequest): Promise<void> {
    const budgets = (await this.covering(request)).filter((b) => b.scope !== 'agent');
    await this.alert(budgets);
    this.refuseIfOver(budgets);
  }

  async apply(decision: ServingDecision, request: ServingRequest): Promise<ServingDecision> {
    const agentId = decision.agent?.agentId;
    const budgets = (await this.covering(request)).filter((b) => b.scope !== 'agent' || b.scopeId === agentId);
    await this.alert(budgets.filter((b) => b.scope === 'agent'));
    const over = budgets.filter((b) => b.spentUsd >= b.limitUsd).sort((a, b) => SEVERITY[b.action] - SEVERITY[a.action]);
    const worst = over[0];
    if (!worst) return decision;
    if (worst.action === 'refuse') this.refuseIfOver([worst]);
    if (worst.action === 'downgrade' && (decision.model ?? '') !== this.deps.downgradeModel) {
      return { ...decision, model: this.deps.downgradeModel, notices: [...decision.notices,
        `_The ${label(worst)} is used up (${usd(worst.spentUsd)} of ${usd(worst.limitUsd)}), so this answer comes from the cheaper \`${this.deps.downgradeModel}\`. ${resets(worst, this.now())}_`] };
    }
    return { ...decision, notices: [...decision.notices,
      `_Note: the ${label(worst)} is used up (${usd(worst.spentUsd)} of ${usd(worst.limitUsd)}). ${resets(worst, this.now())} An admin can change it with \`/improver budget\`._`] };
  }

  /** Global, workspace, user and every agent budget with their spend, read once per request. */
  private covering(request: ServingRequest): Promise<Budget[]> {
    let budgets = this.read.get(request);
    if (!budgets) {
      budgets = this.deps.budgets.requestStatus(request.workspaceId, request.userId).catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, 'budgets could not be read; serving the request without them');
        return [];
      });
      this.read.set(request, budgets);
    }
    return budgets;
  }

  private refuseIfOver(budgets: Budget[]): void {
    const refused = budgets.find((b) => b.action === 'refuse' && b.spentUsd >= b.limitUsd);
    if (!refused) return;
    const message = `The ${label(refused)} is used up (${usd(refused.spentUsd)} of ${usd(refused.limitUsd)}), so I can't answer this now. ` +
      `${resets(refused, this.now())} An admin can raise it with \`/improver budget\`.`;
    throw new AppError('BUDGET_EXCEEDED', message, { details: { userMessage: message, budgetId: refused.id, scope: refused.scope, period: refused.period } });
  }

  private async alert(budgets: Budget[]): Promise<void> {
    for (const budget of budgets) {
      for (const threshold of [80, 100] as const) {
        if (budget.spentUsd < (budget.limitUsd * threshold) / 100) continue;
        const claimed = await this.deps.budgets.claimAlert(budget.id, threshold, budget.spentUsd).catch(() => false);
        if (claimed) await this.deps.notices.post(budgetAlert(budget, threshold, this.now())).catch(() => {});
      }
    }
  }
}

/** "daily budget of <@U123>", "monthly budget of this workspace", "global daily budget", "daily budget of agent `research`". */
export function label(b: Pick<Budget, 'scope' | 'scopeId' | 'period'>): string {
  switch (b.scope) {
    case 'global': return `global ${b.period} budget`;
    case 'workspace': return `${b.period} budget of this workspace`;
    case 'user': return `${b.period} budget of <@${b.scopeId}>`;
    default: return `${b.period} budget of agent \`${b.scopeId}\``;
  }
}

export function resets(b: Pick<Budget, 'resetsAt'>, now: number): string {
  const hours = Math.max(0, (Date.parse(b.resetsAt) - now) / 3_600_000);
  const inWords = hours < 1 ? `${Math.max(1, Math.round(hours * 60))} min` : hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} days`;
  return `It resets at ${b.resetsAt.slice(0, 16).replace('T', ' ')} UTC (in ${inWords}).`;
}

export function budgetAlert(b: Budget, threshold: 80 | 100, now: number): string {
  return `*Budget ${threshold === 100 ? 'used up' : 'at 80 %'}:* the ${label(b)} has spent ${usd(b.spentUsd)} of ${usd(b.limitUsd)} ` +
    `(action over it: ${b.action}). ${resets(b, now)}`;
}
