import { AppError, type ErrorCode } from '../errors.js';

/**
 * Maps whatever a model call threw (OpenAI SDK errors, LangChain wrappers, fetch/socket errors, aborts,
 * output-parser failures) to an AppError. Decisions read status, code, type, name and the constructor
 * name, never message text: OpenAI rewords messages, codes are its contract.
 * An AppError passes through unchanged; anything unrecognised becomes INTERNAL (not retryable), so a bug
 * in our own code is never mistaken for a flaky model and retried.
 */
export function classifyModelError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const e = fields(error);
  // LangChain wraps context overflow in its own error with the SDK error as `cause`; look one level down.
  const cause = fields(e.cause);
  const status = e.status ?? cause.status;
  const code = e.code ?? cause.code;
  const type = e.type ?? cause.type;
  const details = { ...(status !== undefined ? { status } : {}), ...(code ? { code } : {}), ...(type ? { type } : {}) };
  const make = (appCode: ErrorCode, message: string, extra: { retryable?: boolean; retryAfterSeconds?: number } = {}) =>
    new AppError(appCode, `${message} (${e.message ?? String(error)})`, { cause: error, details, ...extra });

  if (e.name === 'ContextOverflowError' || code === 'context_length_exceeded') {
    return make('MODEL_CONTEXT_OVERFLOW', 'the request does not fit the model context window', { retryable: false });
  }
  // LangChain renames a 429 to InsufficientQuotaError / RateLimitQuotaExhaustedError when the account is out
  // of credit: retrying cannot help, so it must not look like an ordinary rate limit.
  if (code === 'insufficient_quota' || type === 'insufficient_quota'
    || e.name === 'InsufficientQuotaError' || e.name === 'RateLimitQuotaExhaustedError') {
    return make('MODEL_QUOTA_EXCEEDED', 'the model account has no quota left', { retryable: false });
  }
  if (status === 429) {
    const retryAfterSeconds = retryAfterFromHeaders(e.headers);
    return make('MODEL_RATE_LIMITED', 'the model provider is rate-limiting us',
      { retryable: true, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
  }
  if (status === 401 || status === 403) return make('MODEL_AUTH_FAILED', 'the model provider rejected our credentials');
  if (status === 404) {
    return new AppError('MODEL_NOT_CONFIGURED', `the configured model does not exist at this endpoint (${e.message ?? ''})`,
      { cause: error, details: { ...details, reason: 'model_not_found' } });
  }
  if (status !== undefined && status >= 500) return make('MODEL_SERVER_ERROR', `the model provider failed (HTTP ${status})`, { retryable: true });
  if (status !== undefined && status >= 400) {
    // Any other 4xx means our request was malformed (bad parameter for this model...): retrying repeats it.
    return make('INTERNAL', `the model provider refused the request (HTTP ${status})`, { retryable: false });
  }
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.ctor === 'APIConnectionTimeoutError' || e.ctor === 'APIUserAbortError') {
    return make('MODEL_TIMEOUT', 'the model call was aborted or timed out', { retryable: true });
  }
  if (e.ctor === 'APIConnectionError' || isNetworkCode(e.code) || isNetworkCode(cause.code)) {
    return make('MODEL_SERVER_ERROR', 'could not reach the model provider, or the connection dropped', { retryable: true });
  }
  if (e.name === 'ModelRefusalError') return make('MODEL_REFUSED', 'the model refused to answer', { retryable: false });
  if (e.lcErrorCode === 'OUTPUT_PARSING_FAILURE' || e.name === 'OutputParserException' || e.name === 'SyntaxError'
    || e.name === 'ZodError' || e.name === '$ZodError') {
    return make('MODEL_BAD_OUTPUT', 'the model output did not match the expected format', { retryable: false });
  }
  return new AppError('INTERNAL', e.message ?? String(error), { cause: error, details, retryable: false });
}

interface ErrorFields {
  name?: string;
  ctor?: string;
  message?: string;
  status?: number;
  code?: string;
  type?: string;
  lcErrorCode?: string;
  headers?: unknown;
  cause?: unknown;
}

function fields(error: unknown): ErrorFields {
  if (typeof error !== 'object' || error === null) return {};
  const r = error as Record<string, unknown>;
  const nested = typeof r.error === 'object' && r.error !== null ? (r.error as Record<string, unknown>) : {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const response = typeof r.response === 'object' && r.response !== null ? (r.response as Record<string, unknown>) : {};
  const status = typeof r.status === 'number' ? r.status : typeof response.status === 'number' ? response.status : undefined;
  const out: ErrorFields = { cause: r.cause, headers: r.headers ?? response.headers };
  const set = <K extends keyof ErrorFields>(key: K, value: ErrorFields[K] | undefined) => { if (value !== undefined) out[key] = value; };
  set('name', str(r.name));
  set('ctor', str((error as { constructor?: { name?: unknown } }).constructor?.name));
  set('message', str(r.message));
  set('status', status);
  set('code', str(r.code) ?? str(nested.code));
  set('type', str(r.type) ?? str(nested.type));
  set('lcErrorCode', str(r.lc_error_code));
  return out;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH']);

/** Node socket codes, and undici's UND_ERR_* (a stream cut mid-answer surfaces as TypeError 'terminated' with one). */
function isNetworkCode(code: string | undefined): boolean {
  return code !== undefined && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'));
}

/** Seconds from `retry-after-ms` / `retry-after` (seconds or HTTP date); headers may be a Headers or a plain object. */
function retryAfterFromHeaders(headers: unknown): number | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const get = (name: string): string | undefined => {
    const h = headers as { get?: (n: string) => string | null } & Record<string, unknown>;
    const value = typeof h.get === 'function' ? h.get(name) : h[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const ms = Number(get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const raw = get('retry-after');
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** A short, honest sentence for the person waiting for an answer: what happened and what they can do. */
export function userMessageFor(error: AppError): string {
  switch (error.code) {
    case 'MODEL_QUOTA_EXCEEDED':
      return "The assistant's model account is out of credit, so I can't answer right now. An admin needs to check the OpenAI billing.";
    case 'MODEL_RATE_LIMITED': {
      const wait = error.retryAfterSeconds;
      return wait !== undefined && wait > 60
        ? `The model is rate-limiting us right now. Please try again in about ${Math.ceil(wait / 60)} minutes.`
        : 'The model is rate-limiting us right now. Please try again in a minute.';
    }
    case 'MODEL_CONTEXT_OVERFLOW':
      return 'That conversation is too long for the model. Start a new thread or shorten the message.';
    case 'MODEL_AUTH_FAILED':
      return 'The model provider rejected the assistant\'s API key, so I can\'t answer. An admin needs to check OPENAI_API_KEY.';
    case 'MODEL_NOT_CONFIGURED':
      return error.details.reason === 'model_not_found'
        ? "The model this assistant is configured to use doesn't exist at the model endpoint. An admin needs to check DEFAULT_MODEL and the agent's model setting."
        : "No model is configured, so I can't answer questions yet. An admin needs to set OPENAI_API_KEY (or OPENAI_BASE_URL for a local OpenAI-compatible server) and restart.";
    case 'MODEL_SERVER_ERROR':
      return 'The model provider is having trouble right now and retrying did not help. Please try again in a few minutes.';
    case 'MODEL_TIMEOUT':
      return 'The model took too long to answer. Please try again, or ask something smaller.';
    case 'MODEL_BAD_OUTPUT':
      return 'The model gave an answer I could not use. Please try again or rephrase the request.';
    case 'MODEL_REFUSED':
      return 'The model declined to answer that request.';
    case 'AGENT_BUSY':
      return 'That specialist is handling too many requests right now. Please try again in a moment.';
    case 'AGENT_NOT_FOUND':
      return "The specialist for this request no longer exists. Please try again; I'll pick another one.";
    case 'SPAWN_LIMITED':
      return 'Too many new specialists were created in the last minute. Please try again in a minute.';
    case 'CANCELLED':
      return 'The request was cancelled.';
    case 'STORE_UNAVAILABLE':
    case 'STORE_QUERY_FAILED':
      return "I can't reach my database right now, so I can't answer safely. Please try again in a minute; if it keeps happening, tell an admin.";
    case 'SHUTTING_DOWN':
      return 'The assistant is restarting. Please send the message again in a minute.';
    default:
      return error.category === 'USER'
        ? 'I could not process that request. Please check it and try again.'
        : 'Something went wrong on my side and I could not answer. Please try again; if it keeps happening, tell an admin.';
  }
}
