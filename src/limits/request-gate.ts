import { Capacity } from '../agents/capacity.js';
import { AppError } from '../errors.js';
import type { IncomingMessage } from '../surface/surface.js';
import { SlidingWindow } from './sliding-window.js';

export interface RequestLimits {
  /** Requests per person per minute (USER_RATE_PER_MINUTE); 0: no limit. */
  userRatePerMinute: number;
  /** Requests of one person served at once (USER_MAX_CONCURRENT); more wait in line. */
  userMaxConcurrent: number;
  /** Requests per channel (or DM) per minute, everyone together (CHANNEL_RATE_PER_MINUTE); 0: no limit. */
  channelRatePerMinute: number;
  /** Longest wait behind the same person's requests (QUEUE_MAX_WAIT_SECONDS). */
  queueWaitMs: number;
  now?: () => number;
}

/**
 * ok: the request may be served; release() when it is done (frees the person's slot).
 * Not ok: refused with RATE_LIMITED; `tell` is true for the first refusal of a person (or channel) in a window,
 * so the excess gets one message, not one per request.
 */
export type Admission =
  | { ok: true; release(): void }
  | { ok: false; error: AppError; tell: boolean };

/** What the orchestrator asks before it serves a message. */
export interface AdmissionControl {
  enter(message: IncomingMessage, options?: { onQueued?: (ahead: number) => void }): Promise<Admission>;
}

const WINDOW_MS = 60_000;
const OPEN: Admission = { ok: true, release: () => {} };

/**
 * Fair shares at the door: a person may send USER_RATE_PER_MINUTE requests in any minute and have
 * USER_MAX_CONCURRENT answered at once (the rest wait in line behind their own, not in front of others); a
 * channel may send CHANNEL_RATE_PER_MINUTE, so one runaway integration cannot starve the workspace.
 *
 * In memory, per process. With several instances behind a load balancer each counts only what it receives:
 * a person's effective limit is up to N × the setting (Slack spreads events over the instances), the
 * concurrency limit holds per instance, and the one-message-per-window promise holds per instance. A shared
 * limit would need the database on every request's path; the run log still records every refusal, whichever
 * instance made it. The console is exempt (one person at a terminal); commands never come through here.
 */
export class RequestGate implements AdmissionControl {
  private readonly users = new SlidingWindow(WINDOW_MS);
  private readonly channels = new SlidingWindow(WINDOW_MS);
  /** scope:key → until when further refusals stay silent (the moment the told person may send again). */
  private readonly quietUntil = new Map<string, number>();
  private readonly inFlight = new Map<string, Capacity>();
  private readonly now: () => number;

  constructor(private readonly limits: RequestLimits) {
    this.now = limits.now ?? Date.now;
  }

  async enter(message: IncomingMessage, options: { onQueued?: (ahead: number) => void } = {}): Promise<Admission> {
    if (message.surface === 'console') return OPEN;
    const now = this.now();
    const userKey = `${message.workspaceId}:${message.userId}`;
    const channelKey = message.channelId ? `${message.workspaceId}:${message.channelId}` : undefined;
    const byUser = this.users.check(userKey, this.limits.userRatePerMinute, now);
    if (!byUser.ok) return this.refuse('user', userKey, byUser.inWindow + 1, byUser.retryAfterMs, now);
    const byChannel = channelKey ? this.channels.check(channelKey, this.limits.channelRatePerMinute, now) : { ok: true as const };
    if (!byChannel.ok) return this.refuse('channel', channelKey!, byChannel.inWindow + 1, byChannel.retryAfterMs, now);
    this.users.add(userKey, now);
    if (channelKey) this.channels.add(channelKey, now);
    if (this.quietUntil.size > 10_000) this.sweepQuiet(now);
    return this.takeSlot(userKey, options.onQueued);
  }

  /** Waits for one of the person's USER_MAX_CONCURRENT slots; a line that does not move is refused. */
  private async takeSlot(userKey: string, onQueued?: (ahead: number) => void): Promise<Admission> {
    let capacity = this.inFlight.get(userKey);
    if (!capacity) {
      capacity = new Capacity({
        concurrency: this.limits.userMaxConcurrent,
        // Never reached while the rate limit holds (a minute's requests fit); a bound all the same when it is off.
        maxQueued: Math.max(this.limits.userRatePerMinute, 100), maxWaitMs: this.limits.queueWaitMs, label: 'your requests',
      });
      this.inFlight.set(userKey, capacity);
    }
    let end: () => void;
    try {
      end = await capacity.take(onQueued ? { onQueued } : {});
    } catch (raw) {
      this.forgetIfIdle(userKey, capacity);
      const busy = raw as AppError;
      return this.refuse('user-queue', userKey, capacity.active + capacity.waiting, (busy.retryAfterSeconds ?? 60) * 1000, this.now());
    }
    return {
      ok: true,
      release: () => {
        end();
        this.forgetIfIdle(userKey, capacity);
      },
    };
  }

  private refuse(scope: 'user' | 'channel' | 'user-queue', key: string, count: number, retryAfterMs: number, now: number): Admission {
    const quietKey = `${scope}:${key}`;
    const tell = (this.quietUntil.get(quietKey) ?? 0) <= now;
    if (tell) this.quietUntil.set(quietKey, now + retryAfterMs);
    const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const error = new AppError('RATE_LIMITED', `${scope} limit reached: ${count} requests; new ones again in ${retryAfterSeconds} s`, {
      retryAfterSeconds, details: { scope, count },
    });
    return { ok: false, error, tell };
  }

  private forgetIfIdle(userKey: string, capacity: Capacity): void {
    if (capacity.active === 0 && capacity.waiting === 0 && this.inFlight.get(userKey) === capacity) this.inFlight.delete(userKey);
  }

  private sweepQuiet(now: number): void {
    for (const [key, until] of this.quietUntil) if (until <= now) this.quietUntil.delete(key);
  }
}
