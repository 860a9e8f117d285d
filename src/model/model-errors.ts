import { AppError, type ErrorCode } from '../errors.js';

/**
 * Maps whatever a model call threw (OpenAI SDK errors, LangChain wrappers, fetch/socket errors, aborts,
 * output-parser failures) to an AppError. Decisions read status, code, type, name and the constructor
 * name, never message text: OpenAI rewords messages, codes are its contract.
 * An AppError passes through unchanged; anything unrecognised becomes INTERNAL (not retryable), so a bug
 * in our own code is never mistaken for a flaky model and retried.
 */
export interface ClassifyOptions {
  /**
   * The configured endpoint (OPENAI_BASE_URL). Names the server in MODEL_UNREACHABLE messages as the admin
   * wrote it (the socket error only knows the resolved address, and a TLS error not even that).
   */
  baseUrl?: string;
}

export function classifyModelError(error: unknown, options: ClassifyOptions = {}): AppError {
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
  const unreachable = unreachableServer(error, options.baseUrl);
  if (unreachable) {
    // Nobody is listening, the name does not resolve, or TLS fails: the same on every attempt, so at most one
    // quick retry (a refused connection can be a server still starting) and none for DNS or TLS.
    return new AppError('MODEL_UNREACHABLE', `cannot reach the model server${unreachable.host ? ` at ${unreachable.host}` : ''} (${unreachable.socketCode})`,
      { cause: error, retryable: unreachable.reason === 'connection_refused', details: { ...details, ...unreachable } });
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

export type UnreachableReason = 'connection_refused' | 'dns' | 'tls' | 'blocked_port';

interface Unreachable {
  reason: UnreachableReason;
  /** The socket error's code (ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT…), or 'bad_port'. */
  socketCode: string;
  /** host[:port] of the server, when known. */
  host?: string;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA']);
// Node's certificate verification codes (OpenSSL X509_V_ERR_* names without the prefix) and TLS/SSL errors.
const TLS_CODES = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'HOSTNAME_MISMATCH', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE']);

function unreachableReasonFor(code: string): UnreachableReason | undefined {
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (DNS_CODES.has(code)) return 'dns';
  if (TLS_CODES.has(code) || code.startsWith('CERT_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return 'tls';
  return undefined;
}

/**
 * The connection never got as far as HTTP: decided from the socket error's code, which undici puts in the
 * `cause` of fetch's TypeError, itself the `cause` of the OpenAI SDK's APIConnectionError (LangChain may add
 * one more level), so the chain is walked a few levels down.
 */
function unreachableServer(error: unknown, baseUrl: string | undefined): Unreachable | undefined {
  const configured = hostOf(baseUrl);
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const r = current as Record<string, unknown>;
    const code = typeof r.code === 'string' ? r.code : undefined;
    const reason = code ? unreachableReasonFor(code) : undefined;
    if (code && reason) {
      const host = configured ?? socketHost(r);
      return { reason, socketCode: code, ...(host ? { host } : {}) };
    }
    current = r.cause;
  }
  // fetch refuses ports on the Fetch standard's block list (9, 6000, …) before connecting, with no error code:
  // a connection error on such a configured port can only be that.
  const port = portOf(baseUrl);
  const top = fields(error);
  const isConnectionError = top.ctor === 'APIConnectionError' || (top.name === 'TypeError' && top.cause instanceof Error);
  if (isConnectionError && port !== undefined && FETCH_BLOCKED_PORTS.has(port)) {
    return { reason: 'blocked_port', socketCode: 'bad_port', ...(configured ? { host: configured } : {}) };
  }
  return undefined;
}

/** host[:port] from a socket error: DNS errors carry `hostname`, connect errors `address` and `port`, TLS `host`. */
function socketHost(r: Record<string, unknown>): string | undefined {
  if (typeof r.hostname === 'string' && r.hostname) return r.hostname;
  if (typeof r.address === 'string' && r.address) {
    const address = r.address.includes(':') ? `[${r.address}]` : r.address;
    return typeof r.port === 'number' ? `${address}:${r.port}` : address;
  }
  return typeof r.host === 'string' && r.host ? r.host : undefined;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try { return new URL(url).host || undefined; } catch { return undefined; }
}

function portOf(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  } catch { return undefined; }
}

/** https://fetch.spec.whatwg.org/#port-blocking (checked against Node 20's undici). */
const FETCH_BLOCKED_PORTS = new Set([1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102,
  103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531,
  532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566,
  6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

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
    case 'MODEL_UNREACHABLE': {
      const host = typeof error.details.host === 'string' ? ` at ${error.details.host}` : '';
      return `I can't reach the model server${host} (${unreachableWords(error)}). An admin should check OPENAI_BASE_URL.`;
    }
    case 'MODEL_SERVER_ERROR':
      return 'The model provider is having trouble right now and retrying did not help. Please try again in a few minutes.';
    case 'MODEL_TIMEOUT':
      return 'The model took too long to answer. Please try again, or ask something smaller.';
    case 'MODEL_BAD_OUTPUT':
      return 'The model gave an answer I could not use. Please try again or rephrase the request.';
    case 'MODEL_REFUSED':
      return 'The model declined to answer that request.';
    case 'AGENT_BUSY': {
      const who = error.details.scope === 'overall' ? "I'm" : 'That specialist is';
      return `${who} handling more requests than can wait in line right now. Please try again in ${aboutSeconds(error.retryAfterSeconds ?? 60)}.`;
    }
    case 'RATE_LIMITED': {
      // Worded by the limit that was reached (src/limits): a person's or a channel's requests in the last minute.
      const count = Number(error.details.count ?? 0);
      const again = `I'll take new ones again in ~${Math.max(1, Math.ceil(error.retryAfterSeconds ?? 60))} s.`;
      if (error.details.scope === 'channel') return `This channel has sent ${count} requests in the last minute; ${again}`;
      if (error.details.scope === 'user-queue') return `You already have ${count} requests in line; please wait for those answers, then try again in ${aboutSeconds(error.retryAfterSeconds ?? 60)}.`;
      return `You've sent ${count} requests in the last minute; ${again}`;
    }
    case 'AGENT_NOT_FOUND':
      return "The specialist for this request no longer exists. Please try again; I'll pick another one.";
    case 'SPAWN_LIMITED':
      return 'Too many new specialists were created in the last minute. Please try again in a minute.';
    case 'CANCELLED':
      return 'The request was cancelled.';
    case 'BUDGET_EXCEEDED':
      return typeof error.details.userMessage === 'string' ? error.details.userMessage
        : 'The spending budget for this is used up, so I can\'t answer now. An admin can change it with `/improver budget`.';
    case 'STORE_UNAVAILABLE':
      // Questions are still answered during an outage (src/journal); this is said only of what needs the database.
      return "I can't reach my database right now, so I can't do that. Please try again in a few minutes; if it keeps happening, tell an admin.";
    case 'STORE_QUERY_FAILED':
      // The database is up and refused this one request: retrying it as it is would fail the same way.
      return 'Something in that request broke on my side: my database refused to store it. It is logged for an admin; please rephrase the request, or tell an admin if it keeps happening.';
    case 'SHUTTING_DOWN':
      return 'The assistant is restarting. Please send the message again in a minute.';
    default:
      return error.category === 'USER'
        ? 'I could not process that request. Please check it and try again.'
        : 'Something went wrong on my side and I could not answer. Please try again; if it keeps happening, tell an admin.';
  }
}

/** "about 30 seconds", "about 2 minutes". */
function aboutSeconds(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  return s < 90 ? `about ${s} seconds` : `about ${Math.round(s / 60)} minutes`;
}

/** What went wrong, in words, for the sentence "I can't reach the model server at … (…)". */
function unreachableWords(error: AppError): string {
  const code = typeof error.details.socketCode === 'string' ? error.details.socketCode : 'unknown';
  switch (error.details.reason as UnreachableReason | undefined) {
    case 'connection_refused': return 'connection refused';
    case 'dns': return `its name does not resolve: ${code}`;
    case 'tls': return `the TLS connection failed: ${code}`;
    case 'blocked_port': return 'HTTP clients refuse to connect to that port';
    default: return code;
  }
}
