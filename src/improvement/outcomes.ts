import type { Logger } from '../ops/logger.js';
import type { RequestContext } from '../orchestrator/context.js';
import type { RunStore } from '../store/runs.js';
import { jaccard, tokens } from '../workflows/similarity.js';

/** "that's wrong", "no, I meant…", "not what I asked", "try again": the user says the last answer missed. */
const SAYS_WRONG = /^\s*(no\b[,.!]?|nope\b|wrong\b|incorrect\b|not (quite|right|correct|what i (asked|meant|wanted))|you misunderstood|try again\b|that'?s (wrong|incorrect|not (right|it|correct|what i (asked|meant|wanted)))|this is wrong|that is (wrong|not right)|doesn'?t answer)/i;

/** How much a follow-up must share with the previous request to count as asking it again. */
export const REPHRASE_SIMILARITY = 0.5;

/**
 * Whether a follow-up corrects the previous answer: it says so, or it asks the same thing again in other words
 * (most of its content words were in the previous request). A follow-up that asks something new is neither.
 */
export function correctionOf(previous: string, next: string): 'says_wrong' | 'rephrase' | null {
  if (SAYS_WRONG.test(next)) return 'says_wrong';
  const a = tokens(previous);
  const b = tokens(next);
  if (a.size < 2 || b.size < 2) return null;
  return jaccard(a, b) >= REPHRASE_SIMILARITY && previous.trim().toLowerCase() !== next.trim().toLowerCase() ? 'rephrase' : null;
}

/**
 * The implicit signal of outcomes: when the same user, in the same thread, rephrases or says the answer was wrong
 * within the correction window, that answer was corrected. (Ratings refine outcomes in SQL; answers nobody
 * corrected within the window become accepted when outcomes are settled.)
 */
export class OutcomeTracker {
  constructor(private readonly deps: { runs: Pick<RunStore, 'previousInThread' | 'setOutcome'>; windowSeconds: number; logger: Logger; now?: () => number }) {}

  async onRequest(ctx: RequestContext): Promise<'says_wrong' | 'rephrase' | null> {
    const { message } = ctx;
    if (!message.channelId || !message.threadTs || message.threadTs === message.messageTs) return null;
    const previous = await this.deps.runs.previousInThread({
      workspaceId: message.workspaceId, channelId: message.channelId, threadTs: message.threadTs, userId: message.userId, before: ctx.runId,
    });
    if (!previous || previous.status !== 'succeeded') return null;
    const age = ((this.deps.now?.() ?? Date.now()) - Date.parse(previous.finishedAt)) / 1000;
    if (age > this.deps.windowSeconds) return null;
    const kind = correctionOf(previous.requestText, ctx.text);
    if (!kind) return null;
    const updated = await this.deps.runs.setOutcome(previous.id, 'corrected', 'correction');
    if (updated) ctx.logger.info({ correctedRun: previous.id, signal: kind }, 'the previous answer in this thread was corrected');
    return kind;
  }
}
