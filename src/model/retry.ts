import { AppError } from '../errors.js';
import { classifyModelError } from './model-errors.js';

export const RETRY_BASE_DELAY_MS = 500;
export const RETRY_MAX_DELAY_MS = 8_000;
/**
 * MODEL_UNREACHABLE (nothing listening, DNS, TLS) is retried at most once, after this short fixed wait and only
 * when classified retryable (a refused connection: a local server may be starting). Backing off for seconds
 * would only make the user wait for the same answer.
 */
export const UNREACHABLE_RETRY_DELAY_MS = 200;
export const MAX_UNREACHABLE_RETRIES = 1;
/** A retry that would leave less than this before the deadline is pointless: it would only end in MODEL_TIMEOUT. */
export const MIN_ATTEMPT_MS = 100;

export interface RetryInfo {
  /** The attempt that just failed (1-based); the next one is attempt + 1. */
  attempt: number;
  delayMs: number;
  errorCode: string;
  error: AppError;
}

export interface RetryOptions {
  /** Absolute deadline (epoch ms, same clock as `now`) for all attempts and waits together. */
  deadline: number;
  /** Retries after the first attempt (0 = one attempt only). */
  maxRetries: number;
  /** Called before each wait-then-retry. */
  onRetry?: (info: RetryInfo) => void;
  /** The caller's cancellation: aborts the running attempt and any wait; ends in CANCELLED, never retried. */
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Cap for a single attempt (e.g. MODEL_TIMEOUT_MS); default: all the time left before the deadline. */
  attemptTimeoutMs?: number;
  /** Extra veto on retrying an otherwise retryable error (e.g. streamed text that cannot be taken back). */
  canRetry?: (error: AppError, attemptNo: number) => boolean;
  /** Source of jitter in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
  /** The configured endpoint (OPENAI_BASE_URL), so a MODEL_UNREACHABLE error names the server as configured. */
  baseUrl?: string;
}

/**
 * Runs `attempt` until it succeeds, retrying only retryable AppErrors (raw errors are classified with
 * classifyModelError). Waits use exponential backoff with full jitter (AWS "full jitter": spreads
 * synchronized clients best), at least the server's Retry-After, and never cross the deadline: when the
 * next wait would, the last error is thrown at once so the user hears about it while there is still time.
 * Each attempt gets its own AbortSignal that fires at the deadline (→ MODEL_TIMEOUT) or on the caller's
 * abort (→ CANCELLED); the attempt is also raced against it, so an attempt ignoring its signal cannot
 * overrun the deadline. Thrown errors carry `details.attempts`. An unreachable server (MODEL_UNREACHABLE) gets
 * at most one quick retry whatever maxRetries says: a second refusal means nobody is listening.
 */
export async function withRetries<T>(
  attempt: (signal: AbortSignal, attemptNo: number) => Promise<T>,
  opts: RetryOptions,
): Promise<T> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? abortableSleep;
  const random = opts.random ?? Math.random;
  const base = opts.baseDelayMs ?? RETRY_BASE_DELAY_MS;
  const cap = opts.maxDelayMs ?? RETRY_MAX_DELAY_MS;
  let lastError: AppError | undefined;
  let unreachableRetries = 0;

  for (let attemptNo = 1; ; attemptNo++) {
    if (opts.signal?.aborted) throw tagged(cancelled(), attemptNo - 1);
    const remaining = opts.deadline - now();
    if (remaining <= 0) throw tagged(lastError ?? deadlinePassed(), attemptNo - 1);

    // setTimeout overflows above 2^31-1 ms and would fire at once; no real attempt runs that long anyway.
    const timeoutMs = Math.min(remaining, opts.attemptTimeoutMs ?? Number.POSITIVE_INFINITY, 2 ** 31 - 1);
    const outcome = await runAttempt(attempt, attemptNo, timeoutMs, timeoutMs < remaining, opts.signal, opts.baseUrl);
    if (outcome.ok) return outcome.value;
    const error = outcome.error;
    lastError = error;
    const unreachable = error.code === 'MODEL_UNREACHABLE';
    if (!error.retryable || attemptNo > opts.maxRetries || opts.canRetry?.(error, attemptNo) === false
      || (unreachable && unreachableRetries >= MAX_UNREACHABLE_RETRIES)) {
      throw tagged(error, attemptNo);
    }
    if (unreachable) unreachableRetries++;
    const delayMs = unreachable ? UNREACHABLE_RETRY_DELAY_MS
      : backoffDelay(attemptNo, { base, cap, random, ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}) });
    if (now() + delayMs + MIN_ATTEMPT_MS > opts.deadline) throw tagged(error, attemptNo);
    opts.onRetry?.({ attempt: attemptNo, delayMs, errorCode: error.code, error });
    await sleep(delayMs, opts.signal);
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: AppError };

async function runAttempt<T>(
  attempt: (signal: AbortSignal, attemptNo: number) => Promise<T>,
  attemptNo: number,
  timeoutMs: number,
  capped: boolean,
  callerSignal: AbortSignal | undefined,
  baseUrl: string | undefined,
): Promise<Outcome<T>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new AppError('MODEL_TIMEOUT',
    capped ? `the model call took longer than ${timeoutMs} ms` : 'the request deadline passed during the model call',
    { retryable: true })), timeoutMs);
  const onCallerAbort = () => controller.abort(cancelled());
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const abortWatch = rejectOnAbort(controller.signal);
  try {
    const pending = attempt(controller.signal, attemptNo);
    pending.catch(() => {}); // the race below may settle first; a late rejection must not go unhandled
    return { ok: true, value: await Promise.race([pending, abortWatch.promise]) };
  } catch (raw) {
    // After an abort, what the client library threw is noise ("Request was aborted."); the reason is ours.
    const reason: unknown = controller.signal.reason;
    return { ok: false, error: controller.signal.aborted && reason instanceof AppError ? reason : classifyModelError(raw, baseUrl === undefined ? {} : { baseUrl }) };
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
    abortWatch.dispose();
  }
}

/**
 * Wait before retry number `retryNo` (1 = first retry): uniform in [0, min(cap, base·2^(retryNo-1))),
 * but never shorter than the server's Retry-After (which may exceed the cap: the server knows best).
 */
export function backoffDelay(
  retryNo: number,
  o: { base?: number; cap?: number; random?: () => number; retryAfterSeconds?: number } = {},
): number {
  const ceiling = Math.min(o.cap ?? RETRY_MAX_DELAY_MS, (o.base ?? RETRY_BASE_DELAY_MS) * 2 ** (retryNo - 1));
  const jitter = Math.floor((o.random ?? Math.random)() * ceiling);
  return o.retryAfterSeconds !== undefined ? Math.max(jitter, Math.ceil(o.retryAfterSeconds * 1000)) : jitter;
}

/** Resolves after `ms`, or early when `signal` aborts (the retry loop then throws CANCELLED). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function rejectOnAbort(signal: AbortSignal): { promise: Promise<never>; dispose(): void } {
  let listener: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    listener = () => reject(signal.reason);
    signal.addEventListener('abort', listener, { once: true });
  });
  promise.catch(() => {});
  return { promise, dispose: () => { if (listener) signal.removeEventListener('abort', listener); } };
}

function cancelled(): AppError {
  return new AppError('CANCELLED', 'the request was cancelled', { retryable: false });
}

function deadlinePassed(): AppError {
  return new AppError('MODEL_TIMEOUT', 'the request deadline passed before the model could be called', { retryable: false });
}

function tagged(error: AppError, attempts: number): AppError {
  error.details.attempts = attempts;
  return error;
}
