import type { RpcArgs, RpcName, RpcTransport } from '../store/rpc.js';
import { storeUnavailable } from '../store/store-errors.js';
import { isStoreUnavailable, type StoreReachability } from './reachability.js';

/** The calls that find out whether the database is back, and bring the journal into it: never short-circuited. */
const PROBES: ReadonlySet<RpcName> = new Set<RpcName>(['app_ping', 'run_journal_replay']);

/**
 * The store's transport with a circuit breaker: while the database is known to be unreachable, every call but the
 * probes fails at once with STORE_UNAVAILABLE instead of waiting on a dead or hung connection (a frozen server
 * holds a pooled connection forever, a refused one costs a connect attempt per call). Each caller then takes its
 * outage path at once: last-known configs, the journal, or the true message. Any STORE_UNAVAILABLE seen here marks
 * the database down; only the flusher's successful probe marks it up again.
 */
export class FailFastTransport implements RpcTransport {
  constructor(private readonly inner: RpcTransport, private readonly reach: StoreReachability) {}

  get kind(): RpcTransport['kind'] {
    return this.inner.kind;
  }

  async call<N extends RpcName>(name: N, args?: RpcArgs<N>): Promise<unknown> {
    if (this.reach.down && !PROBES.has(name)) {
      throw storeUnavailable(`rpc ${name}: the database is unreachable (outage mode: not tried until a probe answers)`, undefined, { step: 'outage', rpc: name });
    }
    try {
      return await this.inner.call(name, args);
    } catch (error) {
      if (isStoreUnavailable(error) && !PROBES.has(name)) this.reach.markDown(error);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
