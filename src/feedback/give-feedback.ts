import type { Run } from '../store/runs.js';
import { quote } from '../text/format.js';
import { CATEGORY_LABELS, classifyFeedback } from './classify.js';
import type { FeedbackSource, FeedbackStore, Proposal } from '../store/feedback.js';

export interface FeedbackInput {
  workspaceId: string;
  userId: string;
  source: FeedbackSource;
  rating?: number;
  text?: string;
  dedupeKey?: string;
  /** The run a button or modal refers to; otherwise the caller's latest run in `channelId` (and thread). */
  runId?: string;
  channelId?: string;
  threadTs?: string;
  /** How to show the rating back ("👍"); default "4/5". */
  ratingLabel?: string;
}

export interface FeedbackOutcome {
  kind: 'recorded' | 'updated' | 'no_run';
  /** What to tell the user (mrkdwn). */
  message: string;
  run?: Run;
  proposals: Proposal[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "the answer to “…” (2026-11-22 14:03 UTC, `research`)": enough for the user to know which one it was. */
export function describeRun(run: Run): string {
  const when = `${run.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
  const who = run.agentIds.length ? `, ${run.agentIds.map((a) => `\`${a}\``).join(' + ')}` : '';
  return `the answer to ${quote(run.requestText)} (${when}${who})`;
}

/**
 * Feedback from any source — /better (Slack or console), 👍/👎 buttons, the "Tell us more" modal — stored
 * the same way: rating and text against the run, classified into an improvement proposal when it asks for
 * something. Returns what to tell the user.
 */
export async function giveFeedback(store: FeedbackStore, input: FeedbackInput): Promise<FeedbackOutcome> {
  let runId = input.runId && UUID.test(input.runId) ? input.runId : undefined;
  if (!runId && !input.runId && input.channelId) {
    runId = (await store.latestRun({
      workspaceId: input.workspaceId, channelId: input.channelId, userId: input.userId,
      ...(input.threadTs ? { threadTs: input.threadTs } : {}),
    }))?.id;
  }
  const noRun: FeedbackOutcome = {
    kind: 'no_run', proposals: [],
    message: input.runId
      ? 'I could not find the answer this feedback is for (it may have been deleted). Nothing was stored.'
      : 'I have not answered you in this conversation yet, so there is nothing to rate. Ask me something first, then use /better.',
  };
  if (!runId) return noRun;
  const text = input.text?.trim() || undefined;
  const category = classifyFeedback(text, input.rating) ?? undefined;
  const result = await store.record({
    runId, workspaceId: input.workspaceId, userId: input.userId, source: input.source,
    ...(input.rating !== undefined ? { rating: input.rating } : {}), ...(text ? { text } : {}),
    ...(category ? { category } : {}), ...(input.dedupeKey ? { dedupeKey: input.dedupeKey } : {}),
  });
  if (!result.ok) return noRun;
  const what = [input.rating !== undefined ? input.ratingLabel ?? `${input.rating}/5` : '', text ? quote(text, 60) : ''].filter(Boolean).join(' and ');
  if (!result.created) {
    return {
      kind: 'updated', run: result.run, proposals: [],
      message: `You already rated ${describeRun(result.run)}; it counts once, now as ${what}.`,
    };
  }
  const proposal = result.proposals.length === 0 ? '' : ` Filed an improvement proposal (${CATEGORY_LABELS[category!]}) for ${
    result.proposals.map((p) => (p.targetKind === 'routing' ? 'routing' : `${p.targetKind} \`${p.targetKind === 'workflow' ? (p.targetId ?? '').slice(0, 8) : p.targetId}\``)).join(', ')}.`;
  return {
    kind: 'recorded', run: result.run, proposals: result.proposals,
    message: `Thanks — recorded ${what} on ${describeRun(result.run)}.${proposal}`,
  };
}
