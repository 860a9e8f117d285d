import type { SlackFeature } from '../../slack/slack-app.js';
import type { SlackAccess } from '../builtin/slack-access.js';
import { APPROVE_ACTION, approvalBlocks, DENY_ACTION } from '../../slack/approvals/approval-blocks.js';
import type { ApprovalService } from './approvals.js';

const REFUSALS = {
  not_requester: (owner: string) => `Only <@${owner}> can approve or deny this.`,
  already_decided: (_owner: string, status?: string) => (status === 'timeout' ? 'This request already expired; nothing was run.' : `This was already ${status ?? 'decided'}.`),
  expired: () => 'This request expired before you answered; nothing was run.',
  not_found: () => 'I no longer know this request.',
};

/**
 * Slack side of the tools: gives the built-in Slack tools the app's WebClient, and handles the Approve /
 * Deny buttons. A click counts only if it is the requesting user's and the first decision (the store
 * decides, so this holds across instances); anyone else gets an ephemeral refusal.
 */
export function toolsSlackFeature(approvals: ApprovalService, slack: SlackAccess): SlackFeature {
  return ({ app, logger }) => {
    slack.attach(app.client);
    for (const [actionId, decision] of [[APPROVE_ACTION, 'approved'], [DENY_ACTION, 'denied']] as const) {
      app.action(actionId, async ({ ack, body, action, client, respond }) => {
        await ack();
        const approvalId = (action as { value?: string }).value;
        const userId = body.user.id;
        if (!approvalId) return;
        const result = await approvals.decide(approvalId, userId, decision).catch((error: unknown) => {
          logger.error({ err: error, approvalId }, 'approval decision not recorded');
          return null;
        });
        if (!result?.ok) {
          const text = result
            ? REFUSALS[result.reason](result.approval?.userId ?? 'the requester', result.approval?.status)
            : 'I could not record that. Please try again.';
          await respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => {});
          return;
        }
        logger.info({ approvalId, userId, decision, tool: result.approval.tool }, 'tool call decided');
        const container = (body as { container?: { channel_id?: string; message_ts?: string } }).container;
        if (container?.channel_id && container.message_ts) {
          const { text, blocks } = approvalBlocks({ approvalId, userId: result.approval.userId, tool: result.approval.tool, args: result.approval.args },
            { state: decision, by: userId });
          await client.chat.update({ channel: container.channel_id, ts: container.message_ts, text, blocks })
            .catch((error: unknown) => logger.warn({ err: error }, 'approval message not updated'));
        }
      });
    }
  };
}
