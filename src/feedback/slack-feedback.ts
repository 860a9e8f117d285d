import type { SlackFeature } from '../slack/slack-app.js';
import { FEEDBACK_DOWN, FEEDBACK_MODAL, FEEDBACK_MORE, FEEDBACK_UP, feedbackModal } from '../slack/feedback-blocks.js';
import { giveFeedback } from './give-feedback.js';
import { slackErrorCode } from '../slack/slack-error.js';
import { asCommandRun } from '../runlog/command-runs.js';
import type { RunLog } from '../runlog/run-log.js';
import { cleanInput } from '../text/clean-input.js';

interface ButtonBody {
  user: { id: string; team_id?: string };
  team?: { id: string } | null;
  trigger_id?: string;
  channel?: { id: string };
  container?: { channel_id?: string; thread_ts?: string };
  message?: { ts?: string; thread_ts?: string };
}


/**
 * The feedback buttons under answers and the "Tell us more" modal. Every click is acked first (Slack's
 * 3 seconds), then stored: one row per user and answer however often they click (the latest vote counts).
 */
export function slackFeedback(runLog?: Pick<RunLog, 'start' | 'recordServing' | 'finish'>): SlackFeature {
  return ({ app, store, logger }) => {
    app.action(new RegExp(`^(${FEEDBACK_UP}|${FEEDBACK_DOWN})$`), async ({ ack, body, action, respond }) => {
      await ack();
      const b = body as unknown as ButtonBody;
      const { action_id: actionId, value: runId } = action as { action_id: string; value?: string };
      const up = actionId === FEEDBACK_UP;
      const workspaceId = b.team?.id ?? b.user.team_id ?? '';
      const record = () => giveFeedback(store.feedback, {
        workspaceId, userId: b.user.id, source: 'button', runId: runId ?? '',
        rating: up ? 5 : 1, ratingLabel: up ? '👍' : '👎', dedupeKey: `button:${runId}:${b.user.id}`,
      });
      const work = runLog
        ? () => asCommandRun(runLog, logger, { name: 'feedback button', text: `${up ? 'up' : 'down'} ${runId ?? ''}`, workspaceId, userId: b.user.id,
          ...(b.channel?.id ? { channelId: b.channel.id } : {}), surface: 'slack', cheap: false }, record)
        : record;
      const outcome = await work().catch((error: unknown) => {
        logger.error({ err: error, runId }, 'feedback button not recorded');
        return { message: 'I could not record that just now. Please try again in a minute.' };
      });
      await respond({ response_type: 'ephemeral', replace_original: false, text: outcome.message })
        .catch((error: unknown) => logger.warn({ err: slackErrorCode(error) }, 'feedback confirmation not delivered'));
    });

    app.action(FEEDBACK_MORE, async ({ ack, body, action, client }) => {
      await ack();
      const b = body as unknown as ButtonBody;
      const runId = (action as { value?: string }).value ?? '';
      const channelId = b.channel?.id ?? b.container?.channel_id;
      const threadTs = b.message?.thread_ts ?? b.container?.thread_ts;
      await client.views.open({
        trigger_id: b.trigger_id ?? '',
        view: feedbackModal({ runId, ...(channelId ? { channelId } : {}), ...(threadTs ? { threadTs } : {}) }) as never,
      }).catch((error: unknown) => logger.warn({ err: slackErrorCode(error), runId }, 'feedback modal not opened'));
    });

    app.view(FEEDBACK_MODAL, async ({ ack, body, view, client }) => {
      const values = view.state.values as Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null }>>;
      const text = cleanInput(values.text?.value?.value).trim();
      if (!text) {
        await ack({ response_action: 'errors', errors: { text: 'Say what should be better (a sentence is plenty).' } });
        return;
      }
      await ack();
      const meta = JSON.parse(view.private_metadata || '{}') as { runId?: string; channelId?: string; threadTs?: string };
      const rating = Number(values.rating?.value?.selected_option?.value);
      const workspaceId = body.team?.id ?? body.user.team_id ?? '';
      const record = () => giveFeedback(store.feedback, {
        workspaceId, userId: body.user.id, source: 'modal', runId: meta.runId ?? '',
        text, ...(Number.isInteger(rating) && rating >= 1 && rating <= 5 ? { rating } : {}),
        // Slack may deliver a submission twice; the view id makes it one row.
        dedupeKey: `modal:${view.id}`,
      });
      const work = runLog
        ? () => asCommandRun(runLog, logger, { name: 'feedback modal', text: meta.runId ?? '', workspaceId, userId: body.user.id,
          ...(meta.channelId ? { channelId: meta.channelId } : {}), surface: 'slack', cheap: false }, record)
        : record;
      const outcome = await work().catch((error: unknown) => {
        logger.error({ err: error, runId: meta.runId }, 'feedback modal not recorded');
        return { message: 'I could not record your feedback just now. Please try again in a minute.' };
      });
      if (!meta.channelId) return;
      await client.chat.postEphemeral({
        channel: meta.channelId, user: body.user.id, text: outcome.message, ...(meta.threadTs ? { thread_ts: meta.threadTs } : {}),
      }).catch((error: unknown) => logger.warn({ err: slackErrorCode(error) }, 'feedback confirmation not delivered'));
    });
  };
}
