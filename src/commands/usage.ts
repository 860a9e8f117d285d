import type { CommandReply } from './dispatcher.js';
import { mrkdwnSection } from '../slack/blocks.js';

/** Help for each command, shown on bad arguments (and for `help`). Nothing is stored when help is shown. */
export const USAGE = {
  better: [
    '*/better [1-5] [what should be better]* — feedback on your most recent answer in this conversation.',
    'Examples: `/better 2 too slow, and it missed the Q3 numbers` · `/better 5` · `/better use bullet points`',
    'The rating is optional (1 = bad, 5 = great); so is the text, but give at least one.',
  ].join('\n'),
  'save-workflow': [
    '*/save-workflow <name> [description] [--replace]* — save your most recent request (a direct answer or a goal) as a reusable workflow.',
    'Names are slugs: lowercase letters, digits and dashes, e.g. `weekly-report`. `--replace` overwrites a workflow of that name.',
    'Later, say `run workflow <name>` or ask something similar to replay it.',
  ].join('\n'),
  workflows: [
    '*/workflows* — saved and learned workflows with uses, success rate and average rating.',
    '*/workflows delete <name>* — delete one.',
  ].join('\n'),
  metrics: [
    '*/metrics [24h|7d|30d|all] [agent]* — runs, success rate, latency, cost, budget, feedback and improvements, with a chart.',
    '*/metrics improvements* — every change the assistant tried on itself: before → after, how sure, what was decided and why.',
    'The period defaults to 7d. Examples: `/metrics` · `/metrics 30d` · `/metrics 24h research` · `/metrics digest` (the last 24 hours in a few lines)',
  ].join('\n'),
  improver: [
    '*/improver help* — what the assistant does and how to steer it.',
    '*/improver analyze [errors|cost|workflows|agents|anomalies|digest|all]* — run the analysts now and see what they found (admins).',
    '*/improver budget set <global|workspace|user @someone|agent id> <amount>/<day|month> [warn|refuse|downgrade]* — set a spending budget (admins).',
    '*/improver budget list* · */improver budget remove <scope> [who] <daily|monthly>*',
    '*/improver experiments* — running and decided experiments · */improver approve|reject <id>* (IMPROVEMENT_APPROVAL=admin) · */improver stop <id>* — stop one, or roll a promoted change back (admins).',
  ].join('\n'),
} as const;

export type CommandName = keyof typeof USAGE;

export function usage(name: CommandName, problem?: string): CommandReply {
  const text = problem ? `${problem}\n\n${USAGE[name]}` : USAGE[name];
  return { text, blocks: [mrkdwnSection(text)], ...(problem ? { invalid: true } : {}) };
}

/** A plain reply: text plus the same in section blocks (split at line ends under Slack's 3,000 characters). */
export function reply(text: string): CommandReply {
  const sections: string[] = [];
  for (const line of text.split('\n')) {
    const last = sections.at(-1);
    if (last !== undefined && last.length + line.length + 1 <= 2900) sections[sections.length - 1] = `${last}\n${line}`;
    else sections.push(line.slice(0, 2900));
  }
  return { text, blocks: sections.slice(0, 45).map((part) => ({ type: 'section', text: { type: 'mrkdwn', text: part || ' ' } })) };
}

/**
 * What the person typed, quoted back as `code` in a problem line: backticks dropped (they would end the code
 * span), at most `max` characters (a 5,000-character word is not worth repeating), never half an emoji.
 */
export function shown(word: string, max = 40): string {
  const chars = Array.from(word.replace(/`/g, ''));
  return `\`${chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('')}\``;
}
