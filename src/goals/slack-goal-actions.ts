import type { SlackFeature } from '../slack/slack-app.js';
import { asCommandRun } from '../runlog/command-runs.js';
import type { RunLog } from '../runlog/run-log.js';
import type { GoalRunner } from './goal-runner.js';

/**
 * The Cancel button on a goal's progress message. Only the person who asked for the goal may cancel it.
 * The request is recorded in the store (so the instance running the goal sees it, whichever instance got the
 * click) and applied at once when the goal runs here.
 */
export function goalActions(runner: GoalRunner, runLog?: Pick<RunLog, 'start' | 'recordServing' | 'finish'>): SlackFeature {
  return ({ app, store, logger }) => {
    app.action('goal_cancel', async ({ ack, body, action, respond }) => {
      await ack();
      const goalId = (action as { value?: string }).value;
      const userId = body.user.id;
      if (!goalId) return;
      const request = () => store.goals.requestCancel(goalId, userId);
      const work = runLog
        ? () => asCommandRun(runLog, logger, { name: 'goal cancel', text: goalId, workspaceId: body.team?.id ?? body.user.team_id ?? '', userId,
          surface: 'slack', cheap: false }, request, (r) => (r.ok ? { status: 'succeeded' } : { status: 'refused', errorClass: 'INPUT_INVALID' }))
        : request;
      const result = await work().catch((error: unknown) => {
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
