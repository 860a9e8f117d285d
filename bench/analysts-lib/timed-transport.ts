import type { RpcArgs, RpcName, RpcTransport } from '../../src/store/rpc.js';

export interface RpcFigure { calls: number; seconds: number }

/** The store's transport with a stopwatch: time and calls per SQL function, to see where a pass spends its time
 *  (the analysts' own SQL, or the many small calls a job makes for what it found). */
export class TimedTransport implements RpcTransport {
  readonly kind: RpcTransport['kind'];
  private figures = new Map<string, RpcFigure>();

  constructor(private readonly inner: RpcTransport) {
    this.kind = inner.kind;
  }

  async call<N extends RpcName>(name: N, args?: RpcArgs<N>): Promise<unknown> {
    const t0 = performance.now();
    try {
      return await this.inner.call(name, args);
    } finally {
      const f = this.figures.get(name) ?? { calls: 0, seconds: 0 };
      f.calls++;
      f.seconds += (performance.now() - t0) / 1000;
      this.figures.set(name, f);
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The figures since the last take, most time first. */
  take(): Record<string, RpcFigure> {
    const out = Object.fromEntries([...this.figures].sort((a, b) => b[1].seconds - a[1].seconds)
      .map(([k, f]) => [k, { calls: f.calls, seconds: Math.round(f.seconds * 1000) / 1000 }]));
    this.figures = new Map();
    return out;
  }
}
