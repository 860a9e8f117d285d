import type { SlotOutcome } from '../analysts/scheduler.js';
import { JOB_NAMES, type JobName } from '../analysts/job.js';
import { label, resets } from '../budgets/budget-policy.js';
import type { Budget, BudgetAction, BudgetPeriod, BudgetScope, BudgetStore } from '../store/budgets.js';
import { pct, usd } from '../text/format.js';
import type { CommandContext, CommandReply } from './dispatcher.js';
import { reply, shown, usage } from './usage.js';
import { helpText } from '../text/help.js';

/** What /improver reaches: the analysts (run now) and the budgets. */
export interface ImproverDeps {
  budgets: Pick<BudgetStore, 'set' | 'remove' | 'list'>;
  analysts?: { jobs: JobName[]; runNow(names: JobName[]): Promise<SlotOutcome[]> };
  /** Experiments: list them; approve, reject, stop or roll one back (absent with LEARNING_ENABLED=false). */
  experiments?: {
    /** Running and decided experiments, with ids (improvements-report.ts). */
    report(): Promise<string>;
    approve(id: string, approver: string, approved: boolean): Promise<string>;
    stop(id: string, actor: string): Promise<string>;
  };
  /** Workspace owners and admins (users.info in Slack) plus ADMIN_USERS; the console's operator. */
  isAdmin(context: CommandContext): Promise<boolean>;
  now?: () => number;
}

/**
 * /improver: the admin's controls, one command with subcommands sharing one usage help. `help` answers anyone,
 * without a model; the rest is for admins, and anyone else gets a clear refusal.
 */
export async function improverCommand(deps: ImproverDeps, text: string, context: CommandContext): Promise<CommandReply> {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const sub = (words[0] ?? 'help').toLowerCase();
  if (/^(help|-h|--help|\?)$/.test(sub)) return reply(helpText({ learning: Boolean(deps.experiments) }));
  if (!['analyze', 'analyse', 'budget', 'budgets', 'experiments', 'approve', 'reject', 'stop', 'rollback'].includes(sub)) {
    return usage('improver', `I do not know ${shown(`/improver ${words[0]}`)}: the subcommands are below.`);
  }
  if (!(await deps.isAdmin(context))) {
    return { ...reply('Only workspace owners and admins (and the users listed in ADMIN_USERS) can use `/improver ' + sub + '`. Ask one of them, or try `/improver help`.'), invalid: true };
  }
  if (sub.startsWith('analy')) return analyze(deps, words.slice(1));
  if (sub.startsWith('budget')) return budget(deps, words.slice(1), context);
  if (!deps.experiments) return reply('Experiments are off in this configuration (LEARNING_ENABLED=false, or no model is configured).');
  if (sub === 'experiments') return reply(`${await deps.experiments.report()}\n_\`/improver stop <id>\` stops one, or rolls a promoted change back._`);
  const id = (words[1] ?? '').replace(/[`]/g, '');
  if (!/^[0-9a-f-]{4,36}$/i.test(id)) return usage('improver', `Say which experiment: \`/improver ${sub} <id>\` (see \`/improver experiments\`).`);
  if (sub === 'approve' || sub === 'reject') return reply(await deps.experiments.approve(id, context.userId, sub === 'approve'));
  return reply(await deps.experiments.stop(id, context.userId));
}

async function analyze(deps: ImproverDeps, args: string[]): Promise<CommandReply> {
  if (!deps.analysts || deps.analysts.jobs.length === 0) return reply('No analysts run in this configuration (LEARNING_ENABLED=false leaves only the cost analyst, and it is off here).');
  const asked = (args[0] ?? 'all').toLowerCase();
  const names = asked === 'all' ? deps.analysts.jobs : deps.analysts.jobs.filter((j) => j === asked);
  if (names.length === 0) {
    const known = JOB_NAMES.includes(asked as JobName) ? `\`${asked}\` is off in this configuration.` : `There is no analyst ${shown(asked)}.`;
    return usage('improver', `${known} Analysts here: ${deps.analysts.jobs.map((j) => `\`${j}\``).join(', ')}, or \`all\`.`);
  }
  const outcomes = await deps.analysts.runNow(names);
  return reply(['*Analysts run now:*', ...outcomes.map(describeOutcome)].join('\n'));
}

export function describeOutcome(o: SlotOutcome): string {
  if (!o.claimed) return `• *${o.job}*: not run — ${o.reason}.`;
  if ('error' in o) return `• *${o.job}*: failed — ${o.error}`;
  const r = o.result;
  return `• *${o.job}*: ${r.summary.length ? r.summary.join('; ') : `${r.rowsRead} rows read`}` +
    ` (${r.findings} finding${r.findings === 1 ? '' : 's'}, ${r.proposals} proposal${r.proposals === 1 ? '' : 's'})`;
}

const SCOPES: BudgetScope[] = ['global', 'workspace', 'user', 'agent'];
const ACTIONS: BudgetAction[] = ['warn', 'refuse', 'downgrade'];

async function budget(deps: ImproverDeps, args: string[], context: CommandContext): Promise<CommandReply> {
  const verb = (args[0] ?? 'list').toLowerCase();
  if (verb === 'list') {
    const budgets = await deps.budgets.list();
    const now = deps.now?.() ?? Date.now();
    if (budgets.length === 0) return reply('No budgets are set. Example: `/improver budget set user @someone 5/day refuse`.');
    return reply(['*Budgets:*', ...budgets.map((b) => `• ${budgetLine(b, context)} — ${b.action} when used up. ${resets(b, now)}`)].join('\n'));
  }
  const parsed = parseBudget(args.slice(1), verb, context);
  if ('error' in parsed) return usage('improver', parsed.error);
  if (verb === 'set') {
    const saved = await deps.budgets.set({ ...parsed, limitUsd: parsed.limitUsd!, action: parsed.action!, createdBy: context.userId });
    return reply(`Budget set: ${budgetLine(saved, context)}; over it: ${saved.action}.`);
  }
  const removed = await deps.budgets.remove(parsed.scope, parsed.scopeId, parsed.period);
  return reply(removed ? `Removed the ${label(parsed)}.` : `There was no ${label(parsed)}; nothing changed.`);
}

function budgetLine(b: Budget, context: CommandContext): string {
  const scope = b.scope === 'workspace' && b.scopeId === context.workspaceId ? `${b.period} budget of this workspace` : label(b);
  return `${scope}: ${usd(b.spentUsd)} of ${usd(b.limitUsd)} used (${pct(b.limitUsd > 0 ? b.spentUsd / b.limitUsd : 0)})`;
}

type ParsedBudget = { scope: BudgetScope; scopeId: string; period: BudgetPeriod; limitUsd?: number; action?: BudgetAction };

/**
 * `set <scope> [who] <amount>/<day|month> [warn|refuse|downgrade]` and `remove <scope> [who] <daily|monthly>`.
 * who: a user mention (<@U…>) or id for user, an agent id for agent, nothing for global and workspace.
 */
export function parseBudget(words: string[], verb: string, context: CommandContext): ParsedBudget | { error: string } {
  if (verb !== 'set' && verb !== 'remove') return { error: `${shown(verb)} is not a budget action: use set, list or remove.` };
  const scope = (words[0] ?? '').toLowerCase() as BudgetScope;
  if (!SCOPES.includes(scope)) return { error: `Say which budget: ${SCOPES.map((s) => `\`${s}\``).join(', ')}.` };
  let rest = words.slice(1);
  let scopeId = scope === 'workspace' ? context.workspaceId : '*';
  if (scope === 'user' || scope === 'agent') {
    const who = rest[0] ?? '';
    const id = scope === 'user' ? /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(who)?.[1] ?? (/^[UW][A-Z0-9]{4,}$/.test(who) ? who : undefined)
      : /^[a-z0-9][a-z0-9_-]{0,62}$/.test(who) ? who : undefined;
    if (!id) return { error: scope === 'user' ? 'Name the user: `/improver budget set user @someone 5/day`.' : 'Name the agent: `/improver budget set agent research 2/day`.' };
    scopeId = id;
    rest = rest.slice(1);
  }
  const periodOf = (w: string): BudgetPeriod | undefined => (/^(day|daily|d)$/i.test(w) ? 'daily' : /^(month|monthly|mo|m)$/i.test(w) ? 'monthly' : undefined);
  if (verb === 'remove') {
    const period = periodOf(rest[0] ?? '');
    if (!period || rest.length > 1) return { error: 'Say which period to remove: `daily` or `monthly`.' };
    return { scope, scopeId, period };
  }
  const amount = /^\$?(\d+(?:\.\d{1,4})?)(?:\$)?(?:\/(\w+))?$/.exec(rest[0] ?? '');
  if (!amount) return { error: rest[0] ? `${shown(rest[0])} is not an amount: write dollars and a period, e.g. \`5/day\` or \`$100/month\`.` : 'Say how much: e.g. `5/day` or `$100/month`.' };
  const limitUsd = Number(amount[1]);
  if (!(limitUsd > 0)) return { error: 'The amount must be more than $0.' };
  let period = amount[2] ? periodOf(amount[2]) : undefined;
  if (amount[2] && !period) return { error: `${shown(amount[2])} is not a budget period: budgets are per day or per month, e.g. \`5/day\` or \`100/month\`.` };
  rest = rest.slice(1);
  if (!period && rest[0] && periodOf(rest[0])) { period = periodOf(rest[0]); rest = rest.slice(1); }
  if (!period) return { error: 'Say per day or per month: `5/day` or `100/month`.' };
  const action = (rest[0]?.toLowerCase() ?? 'warn') as BudgetAction;
  if (!ACTIONS.includes(action)) return { error: `${shown(rest[0]!)} is not an action: use ${ACTIONS.map((a) => `\`${a}\``).join(', ')}.` };
  if (rest.length > 1) return { error: `Too many words after the action (${shown(rest.slice(1).join(' '))}): \`/improver budget set <scope> [who] <amount>/<day|month> [warn|refuse|downgrade]\`.` };
  return { scope, scopeId, period, limitUsd, action };
}
