import type { ModelCatalogue } from '../config/models.js';
import { budgetAlert } from '../budgets/budget-policy.js';
import type { BudgetStore } from '../store/budgets.js';
import type { Enhancement, EnhancementStore } from '../store/enhancements.js';
import type { RpcTransport } from '../store/rpc.js';
import { pct, usd } from '../text/format.js';
import type { AdminNotices, AnalystJob, JobContext, JobResult } from './job.js';

interface CostCandidate { agentId: string; version: number; model: string | null; runs: number; successRate: number; costPerRun: number }

/**
 * Spend and budgets: the budget alerts due (once per threshold per period), what the day cost by user, agent and
 * model, and a cheaper model proposed for each specialist whose recent runs succeed reliably on an expensive one
 * (an enhancement: the improvement loop tries it against the current model and keeps it only if outcomes hold).
 */
export class CostAnalyst implements AnalystJob {
  readonly name = 'cost' as const;

  constructor(private readonly deps: {
    store: { budgets: Pick<BudgetStore, 'alertsDue' | 'spend'>; enhancements: Pick<EnhancementStore, 'propose' | 'list'>; transport: RpcTransport };
    notices: AdminNotices;
    catalogue: ModelCatalogue;
    defaultModel: string;
    /** Off with LEARNING_ENABLED=false: budgets and alerts keep working, nothing is proposed. */
    propose: boolean;
    now?: () => number;
  }) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const now = this.deps.now?.() ?? Date.now();
    const alerts = await this.deps.store.budgets.alertsDue();
    for (const alert of alerts) await this.deps.notices.post(budgetAlert(alert.budget, alert.threshold, now)).catch(() => {});
    const day = await this.deps.store.budgets.spend(new Date(now - 86_400_000));
    const summary = [`last 24 h: ${usd(day.totalUsd)} spent${day.unknownCostSteps ? ` (plus ${day.unknownCostSteps} steps on models without a price)` : ''}` +
      (day.learningUsd > 0 ? `, ${usd(day.learningUsd)} of it by analysts` : ''),
    ...(day.byModel[0] ? [`top model: ${day.byModel[0].model} ${usd(day.byModel[0].costUsd ?? 0)}`] : []),
    ...(alerts.length ? [`${alerts.length} budget alert${alerts.length === 1 ? '' : 's'} raised`] : [])];
    let proposals = 0;
    if (this.deps.propose) {
      const candidates = (await this.deps.store.transport.call('cost_candidates', { p_since: new Date(now - 7 * 86_400_000) }) as unknown[])
        .map((c) => camel(c) as unknown as CostCandidate);
      const rejected = candidates.length ? (await this.deps.store.enhancements.list(['rejected'], 500)).filter((e) => e.category === 'cheaper_model') : [];
      for (const c of candidates) {
        const model = c.model ?? this.deps.defaultModel;
        const cheaper = cheaperModel(model, this.deps.catalogue);
        if (!cheaper) continue;
        if (!enoughNewEvidence(c, cheaper.model, rejected)) continue;
        const saving = 1 - cheaper.price / cheaper.from;
        const filed = await this.deps.store.enhancements.propose({
          source: 'analytics', targetKind: 'agent', targetId: c.agentId, category: 'cheaper_model',
          change: { model: cheaper.model, from: model, baseVersion: c.version, runs: c.runs },
          expectedImpact: `about ${pct(saving)} cheaper per answer at equal success`,
          reasons: `${c.runs} answers in 7 days, ${pct(c.successRate)} succeeded, ${usd(c.costPerRun)} per answer on ${model}`,
          sourceRunId: ctx.runId,
        });
        if (filed) proposals++;
      }
      if (proposals) summary.push(`${proposals} cheaper-model proposal${proposals === 1 ? '' : 's'} filed`);
    }
    return { rowsRead: day.byDay.reduce((n, d) => n + d.runs, 0), findings: alerts.length, proposals, summary };
  }
}

/**
 * Whether the same downgrade (this agent version, this model) may be proposed again after it was rejected:
 * only once the agent has at least twice the runs it had when the last such proposal was filed. Without this the
 * analyst re-files a rejected downgrade on every pass (each one screened again at the judge's cost), and with it a
 * change rejected by bad luck still gets another try once there is more to judge it on. Proposals filed before
 * `runs` was recorded count as no evidence (they do not hold a new one back).
 */
export function enoughNewEvidence(c: Pick<CostCandidate, 'agentId' | 'version' | 'runs'>, model: string,
  rejected: Array<Pick<Enhancement, 'targetId' | 'change'>>): boolean {
  const same = rejected.filter((e) => e.targetId === c.agentId && e.change.model === model && Number(e.change.baseVersion) === c.version);
  if (same.length === 0) return true;
  const evidence = Math.max(...same.map((e) => Number(e.change.runs) || 0));
  return c.runs >= 2 * evidence;
}

/**
 * The next model down in the same family (gpt-4.1 → gpt-4.1-mini → gpt-4.1-nano): the most expensive catalogue
 * model of the family that is cheaper, compared on an even input/output mix. Null when none is.
 */
export function cheaperModel(model: string, catalogue: ModelCatalogue): { model: string; price: number; from: number } | null {
  const priceOf = (m: string) => { const p = catalogue.priceOf(m); return p ? p.input + p.output : undefined; };
  const from = priceOf(model);
  if (from === undefined) return null;
  const family = (m: string) => m.replace(/-\d{4}-\d{2}-\d{2}$/, '').replace(/-(mini|nano)$/, '');
  const cheaper = catalogue.models().filter((m) => family(m) === family(model) && m !== model)
    .map((m) => ({ model: m, price: priceOf(m)! })).filter((m) => m.price < from).sort((a, b) => b.price - a.price);
  return cheaper[0] ? { ...cheaper[0], from } : null;
}

function camel(row: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row as Record<string, unknown>).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
    typeof v === 'string' && /^(runs|success_rate|cost_per_run|version)$/.test(k) ? Number(v) : v]));
}
