/**
 * Batches text appended in quick succession into at most one flush per interval, in order, one at a time.
 * Slack rate-limits updates to one message (about one per second): streaming every model token as its own
 * chat.update or appendStream call would be throttled (slackapi/bolt-js #2073).
 */
export class Coalescer {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private lastFlushAt = 0;
  private closed = false;

  /**
   * holdFirst: the first flush also waits one interval (from now), instead of going out with the first text. For a
   * preview that replaces a "Thinking…" placeholder: an answer done within the interval needs no preview at all.
   */
  constructor(
    private readonly flush: (delta: string) => Promise<void>,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
    options: { holdFirst?: boolean } = {},
  ) {
    if (options.holdFirst) this.lastFlushAt = this.now();
  }

  add(text: string): void {
    if (this.closed || !text) return;
    this.pending += text;
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlushAt + this.intervalMs - this.now());
    this.timer = setTimeout(() => this.release(), wait);
  }

  /** Flushes what is pending and waits for every flush to finish. Further adds are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending) this.release();
    await this.chain;
  }

  /** Drops what is pending (after an error) and waits for in-flight flushes. */
  async discard(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = '';
    await this.chain;
  }

  private release(): void {
    this.timer = undefined;
    const delta = this.pending;
    this.pending = '';
    if (!delta) return;
    this.chain = this.chain.then(async () => {
      this.lastFlushAt = this.now();
      await this.flush(delta).catch(() => {});
    });
  }
}

/**
 * Keeps only the newest value and hands it to `flush` at most once per interval (the last value always
 * gets through). Used for progress messages, where only the current state matters.
 */
export class LatestThrottle<T> {
  private latest: T | undefined;
  private pending = false;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private lastFlushAt = -Infinity;

  constructor(
    private readonly flush: (value: T) => Promise<void>,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  push(value: T, { immediate = false } = {}): Promise<void> {
    this.latest = value;
    this.pending = true;
    if (this.timer && !immediate) return this.chain;
    if (this.timer) clearTimeout(this.timer);
    const wait = Math.max(0, this.lastFlushAt + this.intervalMs - this.now());
    return new Promise((resolve) => {
      this.timer = setTimeout(() => { this.release(); void this.chain.then(resolve); }, wait);
    });
  }

  private release(): void {
    this.timer = undefined;
    if (!this.pending) return;
    this.pending = false;
    const value = this.latest as T;
    this.chain = this.chain.then(async () => {
      this.lastFlushAt = this.now();
      await this.flush(value).catch(() => {});
    });
  }
}
