/**
 * Requests per key in the last `windowMs` (a sliding window of admission times), in memory. Only admitted
 * requests are counted, so a refused one never pushes the time new ones are taken again further out, and the
 * "again in ~S s" a refusal promises holds.
 */
export type WindowVerdict = { ok: true } | { ok: false; inWindow: number; retryAfterMs: number };

export class SlidingWindow {
  private readonly times = new Map<string, number[]>();
  private checks = 0;

  constructor(private readonly windowMs = 60_000, private readonly sweepEvery = 1000) {}

  /** Whether one more request fits under `limit` (0: no limit); does not count it (see add). */
  check(key: string, limit: number, now: number): WindowVerdict {
    if (limit <= 0) return { ok: true };
    if (++this.checks % this.sweepEvery === 0) this.sweep(now);
    const times = this.recent(key, now);
    if (times.length < limit) return { ok: true };
    // The oldest of the last `limit` admissions leaves the window first: one more fits then.
    return { ok: false, inWindow: times.length, retryAfterMs: Math.max(0, times[times.length - limit]! + this.windowMs - now) };
  }

  add(key: string, now: number): void {
    const times = this.times.get(key);
    if (times) times.push(now);
    else this.times.set(key, [now]);
  }

  /** Keys currently tracked (memory stays proportional to recent senders). */
  get size(): number {
    return this.times.size;
  }

  private recent(key: string, now: number): number[] {
    const times = this.times.get(key);
    if (!times) return [];
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - this.windowMs) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length === 0) this.times.delete(key);
    return times;
  }

  /** Drops keys with nothing left in the window: a sender who stopped costs no memory. */
  sweep(now: number): void {
    for (const key of [...this.times.keys()]) this.recent(key, now);
  }
}
