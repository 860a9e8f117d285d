import type { ApprovalDecision, ApprovalRequest } from '../surface/surface.js';
import type { ErrorCode } from '../errors.js';
import type { StepStatus } from '../store/runs.js';

/**
 * Who is asking, where, and how to reach them: built per request by the orchestrator and handed to the
 * agent with the request. Tools read it (whose history may be read, whose approval counts); nothing a tool
 * returns can change it.
 */
export interface ToolContext {
  runId: string;
  workspaceId: string;
  /** The requesting user: membership checks are made for them, and only they can approve. */
  userId: string;
  channelId?: string;
  threadTs?: string;
  surface: 'slack' | 'console' | 'test';
  /** Asks the requesting user to approve a side-effecting call (Slack buttons, console y/n). Absent: such calls are not run. */
  requestApproval?: (request: ApprovalRequest) => Promise<ApprovalDecision>;
  /** Records a tool call or an approval in the run log (the orchestrator writes it as a run step). */
  onToolCall?: (record: ToolCallRecord) => Promise<void>;
}

/** One tool call or approval decision, as the run log keeps it (kind 'tool' or 'approval'). */
export interface ToolCallRecord {
  kind: 'tool' | 'approval';
  name: string;
  /** MCP server; absent for built-in tools. */
  server?: string;
  status: StepStatus;
  errorClass?: ErrorCode;
  latencyMs: number;
  argBytes: number;
  resultBytes: number;
  detail?: Record<string, unknown>;
}

/** What a tool's run() gets besides its arguments. */
export interface ToolCallEnv {
  context?: ToolContext;
  /** Fires at the tool's timeout or when the request is abandoned. */
  signal: AbortSignal;
}

/** A tool the model can call: built-in, or loaded from an MCP server. */
export interface ToolDefinition {
  /** As the model sees it: `calculator`, or `server__tool` for MCP tools. */
  name: string;
  /** Written for the model: what it does and when to use it. */
  description: string;
  /** JSON Schema (type object) of the arguments. */
  parameters: Record<string, unknown>;
  /** False: the call changes something and waits for the requesting user's approval. */
  readOnly: boolean;
  server?: string;
  /** Overrides TOOL_TIMEOUT_MS. */
  timeoutMs?: number;
  /** The result as text for the model. Throws ToolError for failures the model should hear about. */
  run(args: Record<string, unknown>, env: ToolCallEnv): Promise<string>;
}

export type ToolErrorCode = Extract<ErrorCode, 'TOOL_INPUT_INVALID' | 'TOOL_REFUSED' | 'TOOL_UNAVAILABLE' | 'TOOL_FAILED' | 'TOOL_TIMEOUT'>;

/** A failure a tool reports to the model (and the run log) instead of an answer. `message` is shown to the model. */
export class ToolError extends Error {
  constructor(readonly code: ToolErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolError';
  }
}
