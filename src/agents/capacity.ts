import { AppError } from '../errors.js';

export interface CapacityOptions {
  /** Runs at once. */
  concurrency: number;
  /** Requests that may wait for a slot; one more is refused. */
  maxQueued: number;
  /** How long a request may wait before it is refused (take() may ask for less). */
  maxWaitMs: number;
  /** Named in refusals, e.g. "agent research". */
  label: string;
  /** Which line this is, in a refusal's details (userMessageFor words its message from it). */
  scope?: 'agent' | 'overall';
  now?: () => number;
}

interface Waiter {
  resolve(): void;
  reject(error: AppError): void;
  timer: NodeJS.Timeout;
}

/**
 * A counting semaphore with a bounded FIFO queue: requests beyond the concurrency wait for a slot (and are
 * told how many are ahead of them) instead of being refused; only a full queue or a wait past its limit is
 * refused, with a retry hint. One per agent keeps a burst on one specialist from holding every model slot;
 * one in front of all agents bounds the model-serving slots of the process (MAX_CONCURRENT_RUNS).
 */
export class Capacity {
  private running = 0;
  private readonly queue: Waiter[] = [];
  /** Moving average of how long a slot is held, for the retry hint; undefined until a slot was released. */
  private averageHoldMs: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: CapacityOptions) {
    this.now = options.now ?? Date.now;
  }

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves when a slot is taken; `onQueued(ahead)` is called once if the request has to wait. `maxWaitMs`
   * shortens the wait (a request that already waited in another line has less left).
   */
  async take(options: { onQueued?: (ahead: number) => void; signal?: AbortSignal; maxWaitMs?: number } = {}): Promise<() => void> {
    if (this.running < this.options.concurrency && this.queue.length === 0) {
      this.running++;
      return this.releaser();
    }
    if (this.queue.length >= this.options.maxQueued) {
      throw this.refusal(`${this.options.label} has ${this.running} requests running and ${this.queue.length} waiting (the queue is full)`, 30);
    }
    const maxWaitMs = Math.max(0, Math.min(options.maxWaitMs ?? this.options.maxWaitMs, this.options.maxWaitMs));
    options.onQueued?.(this.queue.length + 1);
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve, reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          reject(this.refusal(`${this.options.label} was busy for ${Math.round(maxWaitMs / 1000)} s`, 60));
        }, maxWaitMs),
      };
      this.queue.push(waiter);
      options.signal?.addEventListener('abort', () => {
        if (this.remove(waiter)) reject(new AppError('CANCELLED', 'the request was cancelled while waiting'));
      }, { once: true });
    });
    return this.releaser();
  }

  /**
   * AGENT_BUSY with a retry hint: the time the line ahead needs at the measured pace (slot hold time ×
   * queue length ÷ concurrency), 5 s to 5 min; `fallbackSeconds` before any slot was released.
   */
  private refusal(message: string, fallbackSeconds: number): AppError {
    const pace = this.averageHoldMs;
    const estimate = pace === undefined ? fallbackSeconds
      : Math.min(300, Math.max(5, Math.ceil((pace * (this.queue.length + 1)) / this.options.concurrency / 1000)));
    return new AppError('AGENT_BUSY', message, {
      retryAfterSeconds: estimate,
      details: { scope: this.options.scope ?? 'agent', running: this.running, waiting: this.queue.length },
    });
  }

  private releaser(): () => void {
    let released = false;
    const since = this.now();
    return () => {
      if (released) return;
      released = true;
      const held = this.now() - since;
      this.averageHoldMs = this.averageHoldMs === undefined ? held : this.averageHoldMs * 0.8 + held * 0.2;
      const next = this.queue.shift();
      if (next) {
        // The slot passes straight to the next waiter: running stays the same.
        clearTimeout(next.timer);
        next.resolve();
      } else {
        this.running--;
      }
    };
  }

  private remove(waiter: Waiter): boolean {
    const i = this.queue.indexOf(waiter);
    if (i < 0) return false;
    clearTimeout(waiter.timer);
    this.queue.splice(i, 1);
    return true;
  }
}
