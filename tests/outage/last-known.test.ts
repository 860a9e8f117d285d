import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { lastKnown } from '../../src/outage/last-known.js';
import { StoreReachability } from '../../src/outage/reachability.js';
import { queryFailed, storeUnavailable } from '../../src/store/store-errors.js';

// The rule every outage cache follows (agents, budgets, threads): ask the database while it is reachable; while it
// is known down, answer from what is known without asking; an unreachable read marks it down and falls back.
const reach = () => new StoreReachability(pino({ level: 'silent' }));
const unreachable = () => Promise.reject(storeUnavailable('connection refused'));

describe('lastKnown', () => {
  test('reachable: the database answers, even when something is known', async () => {
    let asked = 0;
    expect(await lastKnown(reach(), async () => { asked++; return 'live'; }, () => 'known')).toBe('live');
    expect(asked).toBe(1);
  });

  test('an unreachable read marks the database down and answers from what is known, else from unknown(), else rethrows', async () => {
    const r = reach();
    expect(await lastKnown(r, unreachable, () => 'known')).toBe('known');
    expect(r.down).toBe(true);
    expect(await lastKnown(reach(), unreachable, () => undefined, () => 'default')).toBe('default');
    await expect(lastKnown(reach(), unreachable, () => undefined)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  test('known down: what is known, or unknown(), without asking; with neither, the database is asked', async () => {
    const r = reach();
    r.markDown(storeUnavailable('gone'));
    let asked = 0;
    const live = async () => { asked++; return 'live'; };
    expect(await lastKnown(r, live, () => 'known')).toBe('known');
    expect(await lastKnown(r, live, () => undefined, () => 'default')).toBe('default');
    expect(asked).toBe(0);
    expect(await lastKnown(r, live, () => undefined)).toBe('live');
    expect(asked).toBe(1);
  });

  test('a query the database refuses is not an outage: it reaches the caller and nothing is marked down', async () => {
    const r = reach();
    await expect(lastKnown(r, () => Promise.reject(queryFailed('bad input')), () => 'known')).rejects.toMatchObject({ code: 'STORE_QUERY_FAILED' });
    expect(r.down).toBe(false);
  });
});
