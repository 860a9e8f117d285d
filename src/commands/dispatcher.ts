/**
 * Slash commands (/better, /save-workflow, /metrics, /workflows) are surface-neutral: Slack and the console
 * parse nothing themselves, they hand the command name and its text to a dispatcher and show the reply.
 */
export interface CommandContext {
  surface: 'slack' | 'console';
  workspaceId: string;
  userId: string;
  channelId: string;
  /** The thread the command was typed in, when known (Slack sends none for slash commands). */
  threadTs?: string;
  /** Whether the caller is a workspace owner or admin (Slack: users.info), asked only by admin commands. */
  isAdmin?: () => Promise<boolean>;
}

export interface CommandReply {
  /** Plain text / mrkdwn fallback, always present (the console prints it). */
  text: string;
  /** Block Kit blocks for Slack. */
  blocks?: unknown[];
  /** Files to upload to the conversation (e.g. a chart PNG). */
  files?: Array<{ filename: string; title: string; bytes: Buffer }>;
  /** The arguments could not be used (the reply is the usage help with what was wrong): nothing was done. */
  invalid?: boolean;
}

export interface CommandDispatcher {
  /** Command names without the slash, e.g. ['better', 'metrics']. */
  names(): string[];
  run(name: string, text: string, context: CommandContext): Promise<CommandReply>;
}
