/**
 * Error codes the app branches on. This is also the closed set the run log's error_class column holds (runs and
 * steps), so the analysts can key knowledge on it: never store free text there. Recovery decisions read `code`, `category` and `retryable`,
 * never message text (see STYLE.md: match on codes only).
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'STORE_UNAVAILABLE'
  | 'STORE_SCHEMA_OUTDATED'
  | 'STORE_QUERY_FAILED'
  | 'STORE_MIGRATION_MISMATCH'
  | 'STORE_LOCKED'
  | 'MODEL_NOT_CONFIGURED'
  | 'MODEL_RATE_LIMITED'
  | 'MODEL_QUOTA_EXCEEDED'
  | 'MODEL_AUTH_FAILED'
  | 'MODEL_CONTEXT_OVERFLOW'
  | 'MODEL_SERVER_ERROR'
  | 'MODEL_UNREACHABLE'
  | 'MODEL_TIMEOUT'
  | 'MODEL_BAD_OUTPUT'
  | 'MODEL_REFUSED'
  | 'SLACK_API_FAILED'
  | 'SLACK_RATE_LIMITED'
  | 'SLACK_AUTH_FAILED'
  | 'SLACK_UNREACHABLE'
  | 'BUDGET_EXCEEDED'
  | 'SPAWN_LIMITED'
  | 'AGENT_BUSY'
  | 'RATE_LIMITED'
  | 'AGENT_NOT_FOUND'
  | 'INPUT_INVALID'
  | 'TOOL_FAILED'
  | 'TOOL_TIMEOUT'
  | 'TOOL_DENIED'
  | 'TOOL_INPUT_INVALID'
  | 'TOOL_UNKNOWN'
  | 'TOOL_REFUSED'
  | 'TOOL_UNAVAILABLE'
  | 'APPROVAL_TIMEOUT'
  | 'GOAL_FAILED'
  | 'CANCELLED'
  | 'SHUTTING_DOWN'
  | 'INTERNAL';

/** USER: the request or its sender; SYSTEM: ours; THIRD_PARTY: Slack, the model, the database. */
export type ErrorCategory = 'USER' | 'SYSTEM' | 'THIRD_PARTY';

const CATEGORY: Record<ErrorCode, ErrorCategory> = {
  CONFIG_INVALID: 'SYSTEM', STORE_UNAVAILABLE: 'THIRD_PARTY', STORE_SCHEMA_OUTDATED: 'SYSTEM',
  STORE_QUERY_FAILED: 'SYSTEM', STORE_MIGRATION_MISMATCH: 'SYSTEM', STORE_LOCKED: 'SYSTEM', MODEL_NOT_CONFIGURED: 'SYSTEM',
  MODEL_RATE_LIMITED: 'THIRD_PARTY',
  MODEL_QUOTA_EXCEEDED: 'THIRD_PARTY', MODEL_AUTH_FAILED: 'SYSTEM', MODEL_CONTEXT_OVERFLOW: 'USER',
  MODEL_SERVER_ERROR: 'THIRD_PARTY', MODEL_UNREACHABLE: 'THIRD_PARTY', MODEL_TIMEOUT: 'THIRD_PARTY', MODEL_BAD_OUTPUT: 'THIRD_PARTY',
  MODEL_REFUSED: 'THIRD_PARTY', SLACK_API_FAILED: 'THIRD_PARTY', SLACK_RATE_LIMITED: 'THIRD_PARTY',
  SLACK_AUTH_FAILED: 'SYSTEM', SLACK_UNREACHABLE: 'THIRD_PARTY',
  BUDGET_EXCEEDED: 'USER', SPAWN_LIMITED: 'SYSTEM', AGENT_BUSY: 'SYSTEM', AGENT_NOT_FOUND: 'SYSTEM',
  RATE_LIMITED: 'USER',
  INPUT_INVALID: 'USER', TOOL_FAILED: 'THIRD_PARTY', TOOL_TIMEOUT: 'THIRD_PARTY', TOOL_DENIED: 'USER', GOAL_FAILED: 'SYSTEM',
  TOOL_INPUT_INVALID: 'THIRD_PARTY', TOOL_UNKNOWN: 'THIRD_PARTY', TOOL_REFUSED: 'USER', TOOL_UNAVAILABLE: 'THIRD_PARTY',
  APPROVAL_TIMEOUT: 'USER',
  CANCELLED: 'USER', SHUTTING_DOWN: 'SYSTEM', INTERNAL: 'SYSTEM',
};

const RETRYABLE = new Set<ErrorCode>([
  'STORE_UNAVAILABLE', 'MODEL_RATE_LIMITED', 'MODEL_SERVER_ERROR', 'MODEL_TIMEOUT', 'SLACK_RATE_LIMITED', 'SLACK_API_FAILED',
]);

export interface AppErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Seconds the remote side asked us to wait (Retry-After). */
  retryAfterSeconds?: number;
  /** JSON-safe context for logs; never secrets. */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  readonly retryAfterSeconds?: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.category = CATEGORY[code];
    this.retryable = options.retryable ?? RETRYABLE.has(code);
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details ?? {};
  }

  static isInstance(error: unknown): error is AppError {
    return error instanceof AppError;
  }
}

/** Wraps anything thrown into an AppError, keeping the original as `cause`. */
export function asAppError(error: unknown, fallback: ErrorCode = 'INTERNAL'): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError(fallback, message, { cause: error });
}
