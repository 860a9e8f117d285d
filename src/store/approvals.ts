import { camelize } from './rows.js';
import type { RpcTransport } from './rpc.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'timeout';

export interface ApprovalRow {
  id: string;
  runId: string | null;
  workspaceId: string;
  channelId: string | null;
  threadTs: string | null;
  userId: string;
  tool: string;
  args: unknown;
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  expiresAt: string;
}

export type DecideResult =
  | { ok: true; approval: ApprovalRow }
  | { ok: false; reason: 'not_found' | 'not_requester' | 'already_decided' | 'expired'; approval?: ApprovalRow };

export interface NewApproval {
  runId: string;
  workspaceId: string;
  userId: string;
  tool: string;
  args: unknown;
  timeoutMs: number;
  channelId?: string;
  threadTs?: string;
}

/** The tool_approval_* SQL functions (supabase/migrations/20261122000400_tools.sql) over the store's transport. */
export class ApprovalStore {
  constructor(private readonly transport: RpcTransport) {}

  async create(input: NewApproval): Promise<ApprovalRow> {
    return camelize<ApprovalRow>(await this.transport.call('tool_approval_create', {
      p_run_id: input.runId, p_workspace_id: input.workspaceId, p_user_id: input.userId, p_tool: input.tool,
      p_args: input.args ?? {}, p_timeout_seconds: Math.max(1, Math.ceil(input.timeoutMs / 1000)),
      p_channel_id: input.channelId, p_thread_ts: input.threadTs,
    }));
  }

  async get(approvalId: string): Promise<ApprovalRow | null> {
    const row = await this.transport.call('tool_approval_get', { p_approval_id: approvalId });
    return row ? camelize<ApprovalRow>(row) : null;
  }

  async decide(approvalId: string, userId: string, decision: 'approved' | 'denied'): Promise<DecideResult> {
    const result = (await this.transport.call('tool_approval_decide', { p_approval_id: approvalId, p_user_id: userId, p_decision: decision })) as
      { ok: boolean; reason?: string; approval?: unknown };
    const approval = result.approval ? camelize<ApprovalRow>(result.approval) : undefined;
    if (result.ok && approval) return { ok: true, approval };
    return { ok: false, reason: (result.reason ?? 'not_found') as Exclude<DecideResult, { ok: true }>['reason'], ...(approval ? { approval } : {}) };
  }

  async expire(approvalId: string): Promise<ApprovalRow | null> {
    const row = await this.transport.call('tool_approval_expire', { p_approval_id: approvalId });
    return row ? camelize<ApprovalRow>(row) : null;
  }
}
