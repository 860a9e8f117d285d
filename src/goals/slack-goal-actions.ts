import type { SlackFeature } from '../slack/slack-app.js';
import type { GoalRunner } from './goal-runner.js';

/**
 * The Cancel button on a goal's progress message. Only the person who asked for the goal may cancel it.
 * The request is recorded in the store (so the instance running the goal sees it, whichever instance got the
 * click) and applied at once when the goal runs here.
 */
export function goalActions(runner: GoalRunner): SlackFeature {
  return ({ app, store, logger }) => {
    app.action('goal_cancel', async ({ ack, body, action, respond }) => {
      await ack();
      const goalId = (action as { value?: string }).value;
      const userId = body.user.id;
      if (!goalId) return;
      const result = await store.goals.requestCancel(goalId, userId).catch((error: unknown) => {
        logger.error({ err: error, goalId }, 'cancel request not recorded');
        return null;
      });
      if (!result) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: 'I could not record the cancel request. Please try again.' }).catch(() => {});
        return;
      }
      if (!result.ok) {
        const reason = result.status && !['planning', 'running'].includes(result.status)
          ? `That goal has already ended (${result.status}).`
          : `Only <@${result.ownerUser}> can cancel this goal.`;
        await respond({ response_type: 'ephemeral', replace_original: false, text: reason }).catch(() => {});
        return;
      }
      runner.cancel(goalId);
      logger.info({ goalId, userId }, 'goal cancel requested');
    });
  };
}
