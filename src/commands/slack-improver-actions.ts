import type { SlackFeature } from '../slack/slack-app.js';
import { slackErrorCode } from '../slack/slack-error.js';
import { mrkdwnSection } from '../slack/blocks.js';
import { isSlackAdmin } from './slack-admins.js';

export const APPROVE_IMPROVEMENT = 'improver_approve';
export const REJECT_IMPROVEMENT = 'improver_reject';
/** The App Home's Stop (running) / Roll back (promoted) button on an experiment. */
export const STOP_EXPERIMENT = 'improver_stop';

/** The approval message of IMPROVEMENT_APPROVAL=admin: what won, and Approve / Reject buttons. */
export function approvalBlocks(text: string, experimentId: string): unknown[] {
  return [mrkdwnSection(text), {
    type: 'actions', elements: [
      { type: 'button', style: 'primary', text: { type: 'plain_text', text: 'Approve' }, action_id: APPROVE_IMPROVEMENT, value: experimentId },
      { type: 'button', style: 'danger', text: { type: 'plain_text', text: 'Reject' }, action_id: REJECT_IMPROVEMENT, value: experimentId },
    ],
  }];
}

/**
 * Approve / Reject on a promotion waiting for an admin. Only workspace owners and admins (users.info) and
 * ADMIN_USERS may decide; the decision is the loop's (recorded with who made it), the message shows the result.
 */
export function improverActions(loop: { approve(id: string, approver: string, approved: boolean): Promise<string> }, adminUsers: string[]): SlackFeature {
  return ({ app, logger }) => {
    for (const actionId of [APPROVE_IMPROVEMENT, REJECT_IMPROVEMENT]) {
      app.action(actionId, async ({ ack, body, action, client, respond }) => {
        await ack();
        const userId = body.user.id;
        const experimentId = (action as { value?: string }).value ?? '';
        if (!(await isSlackAdmin(client, userId, adminUsers, logger))) {
          await respond({ response_type: 'ephemeral', replace_original: false, text: 'Only workspace owners and admins (and ADMIN_USERS) can approve improvements.' }).catch(() => {});
          return;
        }
        const text = await loop.approve(experimentId, userId, actionId === APPROVE_IMPROVEMENT).catch((error: unknown) => {
          logger.error({ err: error, experimentId }, 'improvement decision failed');
          return 'That did not work; please try again.';
        });
        await respond({ replace_original: true, text, blocks: [mrkdwnSection(text)] } as never)
          .catch((error: unknown) => logger.warn({ err: slackErrorCode(error) }, 'approval message not updated'));
      });
    }
  };
}
