import { describe, expect, test } from 'vitest';
import { backoffDelay, withRetries, type RetryInfo } from '../../src/model/retry.js';
import { AppError } from '../../src/errors.js';
import { caught } from './helpers.js';

/** A fake clock whose sleep advances time instantly, recording each wait. */
function fakeTime(start = 1_000_000) {
  const clock = { t: start, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
}

const serverError = () => new AppError('MODEL_SERVER_ERROR', 'boom', { retryable: true });

describe('withRetries', () => {
  test('returns the first success without waiting', async () => {
    const time = fakeTime();
    const seen: number[] = [];
    const value = await withRetries(async (_signal, n) => { seen.push(n); return 'ok'; },
      { deadline: time.clock.t + 10_000, maxRetries: 3, now: time.now, sleep: time.sleep });
    expect(value).toBe('ok');
    expect(seen).toEqual([1]);
    expect(time.clock.sleeps).toEqual([]);
  });

  test('exponential backoff with full jitter, capped at 8 s', async () => {
    const time = fakeTime();
    const infos: RetryInfo[] = [];
    let calls = 0;
    const value = await withRetries(async () => {
      if (++calls <= 6) throw serverError();
      return calls;
    }, { deadline: time.clock.t + 60_000, maxRetries: 6, now: time.now, sleep: time.sleep, random: () => 0.999, onRetry: (i) => infos.push(i) });
    expect(value).toBe(7);
    expect(time.clock.sleeps).toEqual([499, 999, 1998, 3996, 7992, 7992]);
    expect(infos.map((i) => [i.attempt, i.errorCode])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, 'MODEL_SERVER_ERROR']));
    expect(infos.map((i) => i.delayMs)).toEqual(time.clock.sleeps);
    // Full jitter: the wait can be anything from 0 up to the ceiling.
    expect(backoffDelay(3, { random: () => 0 })).toBe(0);
  });

  test('honours Retry-After even above the backoff ceiling', async () => {
    const time = fakeTime();
    let calls = 0;
    await withRetries(async () => {
      if (++calls === 1) throw new AppError('MODEL_RATE_LIMITED', 'slow down', { retryAfterSeconds: 12 });
      return 'ok';
    }, { deadline: time.clock.t + 60_000, maxRetries: 2, now: time.now, sleep: time.sleep, random: () => 0.5 });
    expect(time.clock.sleeps).toEqual([12_000]);
  });

  test('never sleeps past the deadline: throws the last error when the next wait would cross it', async () => {
    const time = fakeTime();
    const deadline = time.clock.t + 5_000;
    let calls = 0;
    const error = await caught(withRetries(async () => { calls++; throw serverError(); },
      { deadline, maxRetries: 100, now: time.now, sleep: time.sleep, random: () => 0.999 }));
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('MODEL_SERVER_ERROR');
    // 499 + 999 + 1998 = 3496 ms slept; the next wait (3996) would end after the deadline.
    expect(time.clock.sleeps).toEqual([499, 999, 1998]);
    expect(time.clock.t).toBeLessThanOrEqual(deadline);
    expect(calls).toBe(4);
    expect(error.details.attempts).toBe(4);
  });

  test('a Retry-After longer than the time left ends at once, without sleeping', async () => {
    const time = fakeTime();
    let calls = 0;
    const error = await caught(withRetries(async () => {
      calls++;
      throw new AppError('MODEL_RATE_LIMITED', 'slow down', { retryAfterSeconds: 30 });
    }, { deadline: time.clock.t + 10_000, maxRetries: 5, now: time.now, sleep: time.sleep }));
    expect(error.code).toBe('MODEL_RATE_LIMITED');
    expect(error.retryAfterSeconds).toBe(30);
    expect(calls).toBe(1);
    expect(time.clock.sleeps).toEqual([]);
  });

  test('non-retryable errors and exhausted maxRetries are thrown', async () => {
    const time = fakeTime();
    let calls = 0;
    const quota = await caught(withRetries(async () => {
      calls++;
      throw new AppError('MODEL_QUOTA_EXCEEDED', 'no credit', { retryable: false });
    }, { deadline: time.clock.t + 60_000, maxRetries: 5, now: time.now, sleep: time.sleep }));
    expect([quota.code, calls]).toEqual(['MODEL_QUOTA_EXCEEDED', 1]);

    calls = 0;
    const limited = await caught(withRetries(async () => { calls++; throw serverError(); },
      { deadline: time.clock.t + 600_000, maxRetries: 2, now: time.now, sleep: time.sleep }));
    expect([limited.code, calls, limited.details.attempts]).toEqual(['MODEL_SERVER_ERROR', 3, 3]);
  });

  test('raw errors are classified: a 503-shaped error is retried, a plain TypeError is not', async () => {
    const time = fakeTime();
    let calls = 0;
    const value = await withRetries(async () => {
      if (++calls === 1) throw Object.assign(new Error('unavailable'), { status: 503 });
      return 'ok';
    }, { deadline: time.clock.t + 60_000, maxRetries: 2, now: time.now, sleep: time.sleep });
    expect([value, calls]).toEqual(['ok', 2]);

    calls = 0;
    const bug = await caught(withRetries(async () => { calls++; throw new TypeError('x is undefined'); },
      { deadline: time.clock.t + 60_000, maxRetries: 2, now: time.now, sleep: time.sleep }));
    expect([bug.code, calls]).toEqual(['INTERNAL', 1]);
  });

  test('canRetry can veto a retry', async () => {
    const time = fakeTime();
    let calls = 0;
    const error = await caught(withRetries(async () => { calls++; throw serverError(); },
      { deadline: time.clock.t + 60_000, maxRetries: 5, now: time.now, sleep: time.sleep, canRetry: () => false }));
    expect([error.code, calls]).toEqual(['MODEL_SERVER_ERROR', 1]);
  });

  test('the deadline aborts a running attempt, even one that ignores its signal (real clock)', async () => {
    let seen: AbortSignal | undefined;
    const t0 = Date.now();
    const error = await caught(withRetries((signal) => {
      seen = signal;
      return new Promise<never>(() => {});
    }, { deadline: t0 + 150, maxRetries: 3 }));
    expect(error.code).toBe('MODEL_TIMEOUT');
    expect(seen?.aborted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(400);
  });

  test('a per-attempt timeout is retried while the deadline allows', async () => {
    let calls = 0;
    const value = await withRetries((signal) => {
      if (++calls === 1) return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      return Promise.resolve('second');
    }, { deadline: Date.now() + 5_000, maxRetries: 2, attemptTimeoutMs: 50, baseDelayMs: 10 });
    expect([value, calls]).toEqual(['second', 2]);
  });

  test("the caller's abort cancels the attempt and is not retried", async () => {
    const controller = new AbortController();
    let calls = 0;
    setTimeout(() => controller.abort(), 50);
    const error = await caught(withRetries((signal) => {
      calls++;
      return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }, { deadline: Date.now() + 5_000, maxRetries: 3, signal: controller.signal }));
    expect([error.code, calls]).toEqual(['CANCELLED', 1]);
  });

  test('a deadline already past fails without calling', async () => {
    let calls = 0;
    const error = await caught(withRetries(async () => { calls++; return 1; }, { deadline: Date.now() - 1, maxRetries: 3 }));
    expect([error.code, calls]).toEqual(['MODEL_TIMEOUT', 0]);
  });
});
