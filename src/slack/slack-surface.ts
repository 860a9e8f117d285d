import type { KnownBlock, WebClient } from '@slack/web-api';
import type { Logger } from '../ops/logger.js';
import type { AnswerContext, AnswerStream, ApprovalDecision, Surface } from '../surface/surface.js';
import { toMrkdwn } from './format/markdown.js';
import { SLACK_LIMITS, splitMessage } from './format/split.js';
import { Coalescer, LatestThrottle } from './coalescer.js';
import { progressLines } from '../surface/progress.js';
import type { GoalProgress } from '../surface/surface.js';
import { approvalBlocks } from './approvals/approval-blocks.js';
import { feedbackActions } from './feedback-blocks.js';
import { slackErrorCode } from './slack-error.js';
import { mrkdwnSection } from './blocks.js';

/** Which workspaces can stream (chat.startStream); learned from the first refusal, per team. */
export class StreamingSupport {
  private readonly unsupported = new Set<string>();
  constructor(private readonly mode: 'auto' | 'off') {}
  enabled(teamId: string): boolean {
    return this.mode === 'auto' && !this.unsupported.has(teamId);
  }
  markUnsupported(teamId: string): void {
    this.unsupported.add(teamId);
  }
}

/** The progress message: the bar and each task's state, and a Cancel button until the goal has ended. */
export function progressBlocks(progress: GoalProgress): KnownBlock[] {
  const [headline, ...tasks] = progressLines(progress);
  return [
    mrkdwnSection(headline!),
    mrkdwnSection(tasks.join('\n') || '_no tasks_'),
    ...(progress.done ? [] : [{
      type: 'actions', block_id: 'goal_controls',
      elements: [{ type: 'button', action_id: 'goal_cancel', text: { type: 'plain_text', text: 'Cancel' }, style: 'danger', value: progress.goalId }],
    } as KnownBlock]),
  ] as KnownBlock[];
}

/** Errors from chat.startStream that mean "this workspace/app cannot stream", not "try again". */
const STREAMING_UNAVAILABLE = new Set(['unknown_method', 'not_allowed_token_type', 'missing_scope', 'feature_not_enabled',
  'method_deprecated', 'not_allowed', 'invalid_arguments', 'team_not_allowed']);

export interface SlackSurfaceOptions {
  client: WebClient;
  channel: string;
  threadTs: string;
  userId: string;
  teamId: string;
  streaming: StreamingSupport;
  /** Bolt's setStatus in Assistant threads (assistant.threads.setStatus); absent elsewhere. */
  assistantStatus?: (status: string) => Promise<unknown>;
  logger: Logger;
  updateIntervalMs?: number;
  /** Tools: where Approve / Deny clicks arrive (the store decides; this waits). Absent: side-effecting tools are not run. */
  /** Waits for the decision of an approval (tools/approval/approvals.ts), whichever instance received the click. */
  approvals?: { wait(approvalId: string, timeoutMs: number): Promise<{ decision: ApprovalDecision }> };
}

// Streams stop well below Slack's 12,000-character markdown limit; the rest follows as extra messages.
const STREAM_CAP = 11_000;

const footerBlock = (footer: string) => ({ type: 'context', elements: [{ type: 'mrkdwn', text: footer.slice(0, 2900) }] });
/** What closes an answer's last message: its footer, then 👍 / 👎 / Tell us more for its run. */
const endBlocks = (footer?: string, runId?: string) => [...(footer ? [footerBlock(footer)] : []), ...(runId ? [feedbackActions(runId)] : [])];

/**
 * The Surface for one Slack thread. Status: the Assistant panel's native status, else a placeholder message
 * in the thread that the answer replaces. Answers stream with chat.startStream/appendStream/stopStream where
 * the workspace supports it, otherwise the placeholder is updated (post, then update), at most once a second.
 */
export function createSlackSurface(options: SlackSurfaceOptions): Surface {
  const { client, channel, threadTs, logger } = options;
  let placeholderTs: string | undefined;
  let answering = false;
  // Status changes run one after another, and what reads placeholderTs (the answer, a notice) waits for them first:
  // a status set without waiting ("In line…", "retrying…") cannot race the answer, which replaces the placeholder
  // rather than posting beside it.
  let statusShown: Promise<void> = Promise.resolve();

  const post = async (text: string, extra: Record<string, unknown> = {}) => {
    const response = await client.chat.postMessage({
      channel, thread_ts: threadTs, text, unfurl_links: false, unfurl_media: false, ...extra,
    });
    return response.ts;
  };

  /** Posts mrkdwn text, split under Slack's limits; the first part may replace the placeholder. */
  const postParts = async (mrkdwn: string, footer: string | undefined, replaceTs?: string, runId?: string): Promise<string | undefined> => {
    const parts = splitMessage(mrkdwn, SLACK_LIMITS.sectionText - 100);
    let firstTs: string | undefined;
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: part } }, ...(last ? endBlocks(footer, runId) : [])];
      if (i === 0 && replaceTs) {
        await client.chat.update({ channel, ts: replaceTs, text: part, blocks });
        firstTs = replaceTs;
      } else {
        const ts = await post(part, { blocks });
        firstTs ??= ts;
      }
    }
    return firstTs;
  };

  const clearPlaceholder = async () => {
    if (!placeholderTs) return;
    const ts = placeholderTs;
    placeholderTs = undefined;
    await client.chat.delete({ channel, ts }).catch((e: unknown) => logger.debug({ err: slackErrorCode(e) }, 'placeholder not deleted'));
  };

  /** Post-then-update answer: the placeholder shows the text so far, then the final answer. */
  const updateAnswer = (initial = ''): AnswerStream => {
    let text = initial;
    const coalescer = new Coalescer(async (delta) => {
      text += delta;
      const preview = toMrkdwn(text);
      const shown = preview.length > SLACK_LIMITS.sectionText ? `${preview.slice(0, SLACK_LIMITS.sectionText - 2)} …` : preview;
      if (placeholderTs) await client.chat.update({ channel, ts: placeholderTs, text: shown });
      else placeholderTs = await post(shown);
      // The status already shows that an answer is coming: the first preview waits an interval, so an answer done by
      // then reaches Slack in one call (the final one) rather than a preview of its first words and then the rest.
    }, options.updateIntervalMs, Date.now, { holdFirst: true });
    return {
      async append(markdown) { coalescer.add(markdown); },
      async finish(finalMarkdown, context?: AnswerContext) {
        await coalescer.discard();
        try {
          const ts = await postParts(toMrkdwn(finalMarkdown), context?.footer, placeholderTs, context?.runId);
          return { delivered: true, ...(ts ? { ts } : {}) };
        } catch (error) {
          logger.error({ err: slackErrorCode(error) }, 'answer not delivered');
          return { delivered: false };
        }
      },
      async abort(notice) {
        await coalescer.discard();
        await (placeholderTs ? client.chat.update({ channel, ts: placeholderTs, text: notice }) : post(notice))
          .catch((e: unknown) => logger.error({ err: slackErrorCode(e) }, 'error notice not delivered'));
      },
    };
  };

  /** Native streaming; falls back to post-then-update if the workspace refuses to stream. */
  const streamAnswer = (): AnswerStream => {
    let streamTs: string | undefined;
    let streamed = '';
    let fallback: AnswerStream | undefined;
    const coalescer = new Coalescer(async (delta) => {
      if (fallback) return void fallback.append(delta);
      if (streamed.length + delta.length > STREAM_CAP) return; // the rest is posted at finish
      try {
        if (!streamTs) {
          const response = await client.chat.startStream({
            channel, thread_ts: threadTs, recipient_user_id: options.userId, recipient_team_id: options.teamId,
            markdown_text: delta,
          });
          streamTs = response.ts;
          await clearPlaceholder();
        } else {
          await client.chat.appendStream({ channel, ts: streamTs, markdown_text: delta });
        }
        streamed += delta;
      } catch (error) {
        const code = slackErrorCode(error);
        if (!streamTs && STREAMING_UNAVAILABLE.has(code)) {
          logger.info({ code, teamId: options.teamId }, 'streaming unavailable; posting then updating instead');
          options.streaming.markUnsupported(options.teamId);
          fallback = updateAnswer();
          await fallback.append(delta);
        } else {
          logger.warn({ code }, 'stream append failed');
        }
      }
    }, options.updateIntervalMs);

    return {
      async append(markdown) { coalescer.add(markdown); },
      async finish(finalMarkdown, context) {
        await coalescer.close();
        if (fallback) return fallback.finish(finalMarkdown, context);
        if (!streamTs) return updateAnswer().finish(finalMarkdown, context);
        const rest = finalMarkdown.startsWith(streamed) ? finalMarkdown.slice(streamed.length) : '';
        const inStream = rest.slice(0, Math.max(0, STREAM_CAP - streamed.length));
        const overflow = rest.slice(inStream.length);
        try {
          await client.chat.stopStream({
            channel, ts: streamTs,
            ...(inStream ? { markdown_text: inStream } : {}),
            ...((context?.footer || context?.runId) && !overflow ? { blocks: endBlocks(context?.footer, context?.runId) } : {}),
          });
          if (overflow) await postParts(toMrkdwn(overflow), context?.footer, undefined, context?.runId);
          return { delivered: true, ts: streamTs };
        } catch (error) {
          // Slack closes streams after ~5 minutes (message_not_in_streaming_state): post what is missing.
          logger.warn({ err: slackErrorCode(error) }, 'stopStream failed; posting the rest as messages');
          try {
            if (rest) await postParts(toMrkdwn(rest), context?.footer, undefined, context?.runId);
            return { delivered: true, ts: streamTs };
          } catch {
            return { delivered: false, ts: streamTs };
          }
        }
      },
      async abort(notice) {
        await coalescer.discard();
        if (fallback) return fallback.abort(notice);
        if (!streamTs) return updateAnswer().abort(notice);
        await client.chat.stopStream({ channel, ts: streamTs, markdown_text: `\n\n_${notice}_` })
          .catch(() => post(notice)).catch(() => {});
      },
    };
  };

  // Goals: one progress message per goal, updated at most once a second (Slack rate-limits chat.update).
  const progressTs = new Map<string, string>();
  const progressThrottle = new LatestThrottle<GoalProgress>(async (progress) => {
    const blocks = progressBlocks(progress);
    const text = progressLines(progress)[0]!;
    const ts = progressTs.get(progress.goalId);
    if (ts) {
      await client.chat.update({ channel, ts, text, blocks });
    } else {
      const posted = await post(text, { blocks });
      if (posted) progressTs.set(progress.goalId, posted);
      await clearPlaceholder();
    }
  }, options.updateIntervalMs);

  return {
    kind: 'slack',
    ...(options.approvals ? {
      // A message in the thread with the exact tool and arguments and Approve / Deny buttons; the click handler
      // (tools/approval/slack-approval-actions.ts) records the decision and updates the message. On timeout the
      // buttons are removed here.
      async requestApproval(request) {
        const pending = approvalBlocks(request, { state: 'pending', timeoutMs: request.timeoutMs });
        let ts: string | undefined;
        try {
          ts = await post(pending.text, { blocks: pending.blocks });
        } catch (error) {
          logger.error({ err: slackErrorCode(error) }, 'approval request not delivered; the tool is not run');
          return 'denied';
        }
        const { decision } = await options.approvals!.wait(request.approvalId, request.timeoutMs);
        if (decision === 'timeout' && ts) {
          const expired = approvalBlocks(request, { state: 'timeout' });
          await client.chat.update({ channel, ts, text: expired.text, blocks: expired.blocks })
            .catch((e: unknown) => logger.debug({ err: slackErrorCode(e) }, 'approval message not updated'));
        }
        return decision;
      },
    } satisfies Pick<Surface, 'requestApproval'> : {}),
    async showProgress(progress) {
      await progressThrottle.push(progress, { immediate: progress.done });
    },
    setStatus(text) {
      statusShown = statusShown.then(async () => {
        try {
          if (options.assistantStatus && !answering) {
            // Not every DM thread is an Assistant thread; when Slack refuses, fall back to a placeholder.
            const shown = await options.assistantStatus(text).then(() => true, () => false);
            if (shown) return;
          }
          if (answering) return;
          else if (!placeholderTs) placeholderTs = await post(`_${text}_`);
          else await client.chat.update({ channel, ts: placeholderTs, text: `_${text}_` });
        } catch (error) {
          logger.debug({ err: slackErrorCode(error) }, 'status not shown');
        }
      });
      return statusShown;
    },
    async startAnswer() {
      answering = true;
      await statusShown;
      return options.streaming.enabled(options.teamId) ? streamAnswer() : updateAnswer();
    },
    async notify(text) {
      await statusShown;
      try {
        if (placeholderTs && !answering) {
          await client.chat.update({ channel, ts: placeholderTs, text });
          placeholderTs = undefined;
        } else {
          await post(text);
        }
      } catch (error) {
        logger.error({ err: slackErrorCode(error) }, 'notice not delivered');
      }
    },
  };
}
