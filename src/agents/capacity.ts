import { AppError } from '../errors.js';

export interface CapacityOptions {
  /** Runs at once. */
  concurrency: number;
  /** Requests that may wait for a slot; one more is refused. */
  maxQueued: number;
  /** How long a request may wait before it is refused. */
  maxWaitMs: number;
  /** Named in refusals, e.g. "agent research". */
  label: string;
}

interface Waiter {
  resolve(): void;
  reject(error: AppError): void;
  timer: NodeJS.Timeout;
}

/**
 * A counting semaphore with a bounded FIFO queue: requests beyond the concurrency wait for a slot (and are
 * told how many are ahead of them) instead of being refused; only a full queue or a wait past its limit is
 * refused, with a retry hint. One per agent keeps a burst on one specialist from holding every model slot.
 */
export class Capacity {
  private running = 0;
  private readonly queue: Waiter[] = [];

  constructor(private readonly options: CapacityOptions) {}

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves when a slot is taken; `onQueued(ahead)` is called once if the request has to wait. */
  async take(options: { onQueued?: (ahead: number) => void; signal?: AbortSignal } = {}): Promise<() => void> {
    if (this.running < this.options.concurrency && this.queue.length === 0) {
      this.running++;
      return this.releaser();
    }
    if (this.queue.length >= this.options.maxQueued) {
      throw new AppError('AGENT_BUSY', `${this.options.label} has ${this.running} requests running and ${this.queue.length} waiting (the queue is full)`,
        { retryAfterSeconds: 30, details: { running: this.running, waiting: this.queue.length } });
    }
    options.onQueued?.(this.queue.length + 1);
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve, reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          reject(new AppError('AGENT_BUSY', `${this.options.label} was busy for ${Math.round(this.options.maxWaitMs / 1000)} s`,
            { retryAfterSeconds: 60, details: { running: this.running, waiting: this.queue.length } }));
        }, this.options.maxWaitMs),
      };
      this.queue.push(waiter);
      options.signal?.addEventListener('abort', () => {
        if (this.remove(waiter)) reject(new AppError('CANCELLED', 'the request was cancelled while waiting'));
      }, { once: true });
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
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
