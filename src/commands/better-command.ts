import { giveFeedback } from '../feedback/give-feedback.js';
import type { Store } from '../store/store.js';
import type { CommandContext, CommandReply } from './dispatcher.js';
import { reply, shown, usage } from './usage.js';

/** The feedback table keeps this much of a text (feedback_record cuts there); longer is cut here, and said. */
export const FEEDBACK_TEXT_MAX = 4000;

export type BetterArgs = { rating?: number; text?: string };

/** `[1-5] [text]`: a leading number is the rating and must be a whole 1–5; at least one of the two. */
export function parseBetter(raw: string): BetterArgs | { error: string | null } {
  const trimmed = raw.trim();
  if (!trimmed || /^(help|-h|--help|\?)$/i.test(trimmed)) return { error: trimmed ? null : 'Say how it went: a rating from 1 to 5, some words, or both.' };
  const [first = '', ...rest] = trimmed.split(/\s+/);
  // "4", "4/5", "★4" are ratings; "10", "0", "3.5", "-1" are mistakes, not words.
  const number = /^[★⭐]?([+-]?\d+(?:[.,]\d+)?)(?:\/5)?$/u.exec(first);
  if (!number) return { text: trimmed };
  const rating = Number(number[1]!.replace(',', '.'));
  if (!Number.isInteger(rating) || rating < 1 || rating > 5) return { error: `The rating must be a whole number from 1 to 5 (got ${shown(first)}).` };
  const text = rest.join(' ').trim();
  return text ? { rating, text } : { rating };
}

/** /better: rate the caller's most recent answer in this conversation and say what should be better. */
export async function betterCommand(store: Store, text: string, context: CommandContext): Promise<CommandReply> {
  const args = parseBetter(text);
  if ('error' in args) return usage('better', args.error ?? undefined);
  // Cut here, between characters, and say so: the database would cut it silently (feedback_record's left(…, 4000)).
  const chars = args.text ? Array.from(args.text) : [];
  const cut = chars.length > FEEDBACK_TEXT_MAX;
  if (cut) args.text = chars.slice(0, FEEDBACK_TEXT_MAX).join('');
  const outcome = await giveFeedback(store.feedback, {
    workspaceId: context.workspaceId, userId: context.userId, source: context.surface === 'console' ? 'console' : 'command',
    channelId: context.channelId, ...(context.threadTs ? { threadTs: context.threadTs } : {}),
    ...(args.rating !== undefined ? { rating: args.rating } : {}), ...(args.text ? { text: args.text } : {}),
  });
  return reply(cut && outcome.kind !== 'no_run'
    ? `${outcome.message}\n_Your feedback was long, so I kept its first ${FEEDBACK_TEXT_MAX.toLocaleString('en-US')} characters._` : outcome.message);
}
