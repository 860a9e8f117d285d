import type { KnownBlock } from '@slack/web-api';

export type ApprovalView =
  | { state: 'pending'; timeoutMs: number }
  | { state: 'approved' | 'denied'; by: string }
  | { state: 'timeout' };

export const APPROVE_ACTION = 'tool_approve';
export const DENY_ACTION = 'tool_deny';

/** Slack's three control characters: escaped, the arguments (written by the model) can ping nobody and link nowhere. */
export const escapeMrkdwn = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The exact arguments, pretty-printed, escaped and cut to fit one section block. */
export function argsText(args: unknown): string {
  const json = JSON.stringify(args ?? {}, null, 2) ?? '{}';
  const shown = json.length > 2600 ? `${json.slice(0, 2600)}\n… (${json.length - 2600} more characters)` : json;
  return `\`\`\`${escapeMrkdwn(shown)}\`\`\``;
}

/**
 * The approval message: what will run with exactly which arguments, who may decide, and — while pending —
 * Approve / Deny buttons whose value is the approval id. Once decided or expired the buttons are gone.
 */
export function approvalBlocks(request: { approvalId: string; userId: string; tool: string; args: unknown }, view: ApprovalView): { text: string; blocks: KnownBlock[] } {
  const tool = `\`${escapeMrkdwn(request.tool)}\``;
  const headline = {
    pending: `:lock: <@${request.userId}>, may I run ${tool}? It changes something, so it needs your approval.`,
    approved: `:white_check_mark: ${tool} approved by <@${'by' in view ? view.by : ''}>; running it.`,
    denied: `:no_entry_sign: ${tool} denied by <@${'by' in view ? view.by : ''}>; it was not run.`,
    timeout: `:hourglass: Nobody approved ${tool} in time; it was not run.`,
  }[view.state];
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: headline } },
    { type: 'section', text: { type: 'mrkdwn', text: `Arguments:\n${argsText(request.args)}` } },
  ];
  if (view.state === 'pending') {
    const seconds = Math.round(view.timeoutMs / 1000);
    blocks.push(
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Only <@${request.userId}> can decide. The request expires in ${seconds} s.` }] },
      {
        type: 'actions', block_id: 'tool_approval',
        elements: [
          { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: request.approvalId },
          { type: 'button', action_id: DENY_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value: request.approvalId },
        ],
      },
    );
  }
  return { text: headline.replace(/:[a-z_]+: /, ''), blocks };
}
