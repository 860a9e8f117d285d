import { AppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';

/** True for the one error that means "the database cannot be talked to right now" (see src/store/store-errors.ts). */
export function isStoreUnavailable(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'STORE_UNAVAILABLE';
}

export interface ReachabilityState {
  reachable: boolean;
  /** ISO time the current outage was first noticed; absent while reachable. */
  downSince?: string;
  /** The code and message of the failure that opened the outage (never a secret: store errors carry none). */
  lastError?: string;
}

/**
 * Whether this process can reach its database, as the last store call or probe saw it. Any component that gets
 * STORE_UNAVAILABLE marks it down; only a successful probe (the journal flusher pings every second while down)
 * marks it up again, so one failed call is enough to stop every later one from waiting on a dead connection.
 * Logged once per transition, not once per request.
 */
export class StoreReachability {
  private downSince: number | null = null;
  private lastError: string | undefined;
  private readonly listeners: Array<(reachable: boolean) => void> = [];
  private waiting: Array<() => void> = [];

  constructor(private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  get down(): boolean {
    return this.downSince !== null;
  }

  markDown(error: AppError): void {
    if (this.downSince !== null) return;
    this.downSince = this.now();
    this.lastError = `${error.code}: ${error.message}`.slice(0, 300);
    this.logger.error({ code: error.code, details: error.details },
      'database unreachable: answering from cached agent configs, run log writes go to the local journal until it is back');
    this.tell(false);
  }

  markUp(): void {
    if (this.downSince === null) return;
    const outageMs = this.now() - this.downSince;
    this.downSince = null;
    this.lastError = undefined;
    this.logger.warn({ outageMs }, 'database reachable again: replaying the journal');
    this.tell(true);
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** Resolves now when reachable, else at the next markUp(). */
  whenUp(): Promise<void> {
    if (this.downSince === null) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  onChange(listener: (reachable: boolean) => void): void {
    this.listeners.push(listener);
  }

  state(): ReachabilityState {
    if (this.downSince === null) return { reachable: true };
    return { reachable: false, downSince: new Date(this.downSince).toISOString(), ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  private tell(reachable: boolean): void {
    for (const listener of this.listeners) {
      try {
        listener(reachable);
      } catch {
        // A listener's failure must not change what the store does.
      }
    }
  }
}
