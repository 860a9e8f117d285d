/**
 * The port between the orchestrator and wherever the conversation happens (a Slack thread, the console).
 * Built per request by the surface adapter, closing over its client and thread, the way Bolt builds `say`.
 * Every method resolves even when delivery fails; failures are reported through the returned values.
 */
export interface Surface {
  readonly kind: 'slack' | 'console';
  /**
   * Shows that work is under way ("Thinking…"); cleared by the answer. Safe to call repeatedly, and without waiting:
   * statuses are shown in order, and the answer or notice that follows waits for them, so it replaces the status
   * rather than appearing beside it.
   */
  setStatus(text: string): Promise<void>;
  /** Opens the answer; the orchestrator appends text as the model produces it, then finishes it once. */
  startAnswer(): Promise<AnswerStream>;
  /** A short message in the conversation (errors, refusals, notices) that is not a model answer. */
  notify(text: string): Promise<void>;
  /**
   * Goals: shows or updates the one progress message of a goal (the adapter coalesces updates to respect
   * Slack's rate limits). Absent: progress is not shown.
   */
  showProgress?(progress: GoalProgress): Promise<void>;
  /**
   * Tools: asks the requesting user to approve a side-effecting tool call (Slack: Approve / Deny buttons;
   * console: a y/n prompt). Resolves with the decision; 'timeout' when nobody answered in time.
   */
  requestApproval?(request: ApprovalRequest): Promise<ApprovalDecision>;
}

export interface GoalProgress {
  goalId: string;
  title: string;
  /** Every task with its state, in plan order. */
  tasks: Array<{ id: string; title: string; state: 'pending' | 'running' | 'succeeded' | 'failed' | 'blocked' | 'cancelled' | 'skipped' }>;
  elapsedMs: number;
  /** True once the goal has ended; the adapter removes the Cancel button then. */
  done: boolean;
  /** e.g. "stopped: cost budget reached" */
  note?: string;
}

export interface ApprovalRequest {
  approvalId: string;
  runId: string;
  /** Only this user may approve. */
  userId: string;
  tool: string;
  /** Exactly the arguments the tool will run with. */
  args: unknown;
  timeoutMs: number;
}

export type ApprovalDecision = 'approved' | 'denied' | 'timeout';

export interface AnswerStream {
  /** Appends model output (Markdown). Coalesced and rate-limited by the adapter. */
  append(markdown: string): Promise<void>;
  /**
   * Completes the answer with its full final text (Markdown) and an optional context line (route, tools,
   * workflow name). Returns where the answer landed (Slack message ts), if anywhere.
   */
  finish(finalMarkdown: string, context?: AnswerContext): Promise<{ delivered: boolean; ts?: string }>;
  /** Abandons a partial answer after an error: the adapter removes or marks what was shown. */
  abort(notice: string): Promise<void>;
}

export interface AnswerContext {
  /** e.g. "research · gpt-4.1-mini · 1.2 s" */
  footer?: string;
  runId?: string;
}

/** One incoming user message, surface-neutral. */
export interface IncomingMessage {
  workspaceId: string;
  surface: 'slack' | 'console' | 'test';
  userId: string;
  text: string;
  channelId?: string;
  /** The message's own ts (Slack) — part of the exactly-once key. */
  messageTs?: string;
  /** The thread it belongs to (for replies and history). */
  threadTs?: string;
  /** Slack event id — the other exactly-once key. */
  eventId?: string;
  /** Earlier messages of the conversation, oldest first. */
  history?: HistoryMessage[];
  /** Users taking part in the conversation: only they may be mentioned in answers. */
  participants?: string[];
  /**
   * Reads history and participants lazily (Slack: conversations.replies), after the run is claimed, so a
   * duplicate delivery costs no API call. Overrides history/participants when present.
   */
  loadContext?: () => Promise<{ history: HistoryMessage[]; participants: string[] }>;
}

/** One earlier message of the conversation. */
export interface HistoryMessage {
  role: 'user' | 'assistant';
  text: string;
  userId?: string;
}

/** How a message was handled. */
export type HandleOutcome =
  | { kind: 'answered'; runId: string; delivered: boolean; text: string }
  | { kind: 'duplicate'; runId: string }
  | { kind: 'refused'; runId?: string; reason: string }
  | { kind: 'failed'; runId?: string; errorCode: string };

/** What a surface adapter hands each message to (the orchestrator): Slack and the console depend on this port only. */
export interface MessageHandler {
  handle(message: IncomingMessage, surface: Surface): Promise<HandleOutcome>;
}
