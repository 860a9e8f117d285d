import { isStoreUnavailable, type StoreReachability } from './reachability.js';

/**
 * A database read with a last-known answer for an outage — the one rule the outage caches share:
 * - while the database is reachable, it is asked (and the caller's `live` remembers the answer);
 * - while it is known down, the last-known answer without asking, so a request does not wait on a dead connection;
 * - a read that finds it unreachable marks it down and falls back the same way.
 * With nothing known, `unknown` gives the outage-time answer (none: the database is asked anyway, and its
 * STORE_UNAVAILABLE reaches the caller, who tells the user the truth).
 */
export async function lastKnown<T>(reach: StoreReachability, live: () => Promise<T>, known: () => T | undefined, unknown?: () => T): Promise<T> {
  if (reach.down) {
    const cached = known();
    if (cached !== undefined) return cached;
    if (unknown) return unknown();
  }
  try {
    return await live();
  } catch (error) {
    if (!isStoreUnavailable(error)) throw error;
    reach.markDown(error);
    const cached = known();
    if (cached !== undefined) return cached;
    if (unknown) return unknown();
    throw error;
  }
}
