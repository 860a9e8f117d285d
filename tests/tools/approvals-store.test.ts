import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ApprovalStore } from '../../src/store/approvals.js';
import { ApprovalService } from '../../src/tools/approval/approvals.js';
import type { Store } from '../../src/store/store.js';
import { pgliteStore, postgresAvailable, postgresStore } from '../support/stores.js';

// The decision is made once, in SQL: concurrent clicks, clicks on another instance, clicks by someone else
// and clicks after the deadline all resolve against one row. On PGlite and on a real PostgreSQL server
// (where concurrent updates really contend for the row lock).
const logger = pino({ level: 'silent' });
let store: Store;
let runId: string;

describe.each([
  { name: 'PGlite', open: pgliteStore, skip: false },
  { name: 'PostgreSQL server', open: () => postgresStore(), skip: !postgresAvailable() },
])('approvals on $name', ({ open, skip }) => {
  beforeAll(async () => {
    if (skip) return;
    store = await open();
    runId = (await store.runs.start({ workspaceId: 'T1', surface: 'test', userId: 'U1', requestText: 'x' })).run.id;
  });
  afterAll(async () => { await store?.close(); });

  const input = (timeoutMs = 60_000) => ({ runId, workspaceId: 'T1', userId: 'U1', tool: 'ops__restart', args: { service: 'a' }, timeoutMs, channelId: 'C1', threadTs: '1.2' });

  test.skipIf(skip)('five concurrent approvals by the requester: exactly one decides', async () => {
    const approvals = new ApprovalStore(store.transport);
    const { id } = await approvals.create(input());
    const results = await Promise.all(Array.from({ length: 5 }, () => approvals.decide(id, 'U1', 'approved')));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(4).fill('already_decided'));
    expect(await approvals.get(id)).toMatchObject({ status: 'approved', decidedBy: 'U1', tool: 'ops__restart', args: { service: 'a' } });
  });

  test.skipIf(skip)('someone else cannot decide; a late decision is recorded as a timeout', async () => {
    const approvals = new ApprovalStore(store.transport);
    const { id } = await approvals.create(input());
    expect(await approvals.decide(id, 'U2', 'approved')).toMatchObject({ ok: false, reason: 'not_requester' });
    expect((await approvals.get(id))?.status).toBe('pending');
    const short = await approvals.create(input(1));
    await new Promise((r) => setTimeout(r, 1100));
    expect(await approvals.decide(short.id, 'U1', 'approved')).toMatchObject({ ok: false, reason: 'expired', approval: { status: 'timeout' } });
  });

  test.skipIf(skip)('a click received by another instance wakes the waiting one (through the store), within the poll interval', async () => {
    const a = new ApprovalService(new ApprovalStore(store.transport), { logger, pollMs: 100 });
    const b = new ApprovalService(new ApprovalStore(store.transport), { logger, pollMs: 100 });
    const id = await a.create(input());
    const waiting = a.wait(id, 5000);
    await new Promise((r) => setTimeout(r, 150));
    const started = Date.now();
    expect((await b.decide(id, 'U1', 'denied')).ok).toBe(true);
    expect(await waiting).toEqual({ decision: 'denied', decidedBy: 'U1' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test.skipIf(skip)('a wait that times out expires the request; a decision that landed first still wins', async () => {
    const service = new ApprovalService(new ApprovalStore(store.transport), { logger, pollMs: 5000 });
    const id = await service.create(input());
    expect(await service.wait(id, 200)).toEqual({ decision: 'timeout' });
    expect(await service.settle(id, 'U1', 'approved')).toEqual({ decision: 'timeout' });
    const other = await service.create(input());
    await new ApprovalStore(store.transport).decide(other, 'U1', 'approved');
    expect(await service.settle(other, 'U1', 'timeout')).toEqual({ decision: 'approved', decidedBy: 'U1' });
  });
});
