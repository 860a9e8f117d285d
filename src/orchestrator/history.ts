import type { HistoryMessage } from '../surface/surface.js';

/** A rough token estimate (≈4 characters per token for English); good enough for budgeting context. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

/**
 * Keeps the newest messages of a conversation that fit in the token budget, oldest first.
 * `trimmed` counts what was dropped so the answer can say the context was cut.
 */
export function trimHistory(history: HistoryMessage[], budgetTokens: number): { messages: HistoryMessage[]; trimmed: number } {
  const kept: HistoryMessage[] = [];
  let used = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i]!;
    const cost = estimateTokens(message.text) + 4; // per-message overhead of the chat format
    if (used + cost > budgetTokens) break;
    kept.unshift(message);
    used += cost;
  }
  return { messages: kept, trimmed: history.length - kept.length };
}

/** Cuts an oversized message to `maxChars`, on a whitespace boundary when one is near. */
export function guardInput(text: string, maxChars: number): { text: string; cut: boolean } {
  // Control characters other than newline and tab confuse models and logs; they carry no meaning here.
  const clean = text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '').trim();
  if (clean.length <= maxChars) return { text: clean, cut: false };
  // Never cut between the two halves of a surrogate pair (an emoji): a lone half is not valid text for the model.
  const head = clean.slice(0, maxChars).replace(/[\uD800-\uDBFF]$/, '');
  const lastSpace = head.lastIndexOf(' ');
  return { text: lastSpace > maxChars * 0.9 ? head.slice(0, lastSpace) : head, cut: true };
}
