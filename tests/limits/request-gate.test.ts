import { describe, expect, test } from 'vitest';
import { RequestGate, type Admission } from '../../src/limits/request-gate.js';
import { SlidingWindow } from '../../src/limits/sliding-window.js';
import { userMessageFor } from '../../src/model/model-errors.js';
import type { IncomingMessage } from '../../src/surface/surface.js';

const message = (userId: string, channelId = 'C1', surface: IncomingMessage['surface'] = 'slack'): IncomingMessage =>
  ({ workspaceId: 'T1', surface, userId, channelId, text: 'hi' });

function gate(overrides: Partial<ConstructorParameters<typeof RequestGate>[0]> = {}) {
  let now = 1_000_000;
  const g = new RequestGate({ userRatePerMinute: 3, userMaxConcurrent: 100, channelRatePerMinute: 5, queueWaitMs: 500, now: () => now, ...overrides });
  return { gate: g, advance: (ms: number) => { now += ms; } };
}

/** Enters and releases at once: counts against the rates only. */
async function send(g: RequestGate, m: IncomingMessage): Promise<Admission> {
  const admission = await g.enter(m);
  if (admission.ok) admission.release();
  return admission;
}

const errorOf = (a: Admission) => { if (a.ok) throw new Error('expected a refusal'); return a.error; };
const refusal = (a: Admission) => (a.ok ? null : { scope: a.error.details.scope, tell: a.tell, retryAfterSeconds: a.error.retryAfterSeconds, code: a.error.code });

describe('RequestGate', () => {
  test('a person over USER_RATE_PER_MINUTE is told once per window, then refused silently; the window slides', async () => {
    const { gate: g, advance } = gate();
    for (let i = 0; i < 3; i++) { expect((await send(g, message('U1'))).ok).toBe(true); advance(10_000); }
    // Admitted at 0 s, 10 s, 20 s; now 30 s: the first leaves the window at 60 s.
    const first = await send(g, message('U1'));
    expect(refusal(first)).toEqual({ scope: 'user', tell: true, retryAfterSeconds: 30, code: 'RATE_LIMITED' });
    expect(userMessageFor(errorOf(first))).toBe("You've sent 4 requests in the last minute; I'll take new ones again in ~30 s.");
    advance(5000);
    expect(refusal(await send(g, message('U1')))).toMatchObject({ tell: false, retryAfterSeconds: 25 });
    expect((await send(g, message('U2'))).ok).toBe(true); // others are unaffected
    advance(25_000); // 60 s: the first admission left the window, as promised
    expect((await send(g, message('U1'))).ok).toBe(true);
    // Refused ones were not counted: one more fits at 70 s (the 10 s admission leaves), not later.
    expect(refusal(await send(g, message('U1')))).toMatchObject({ tell: true, retryAfterSeconds: 10 });
    advance(10_000);
    expect((await send(g, message('U1'))).ok).toBe(true);
  });

  test('a channel over CHANNEL_RATE_PER_MINUTE is told once, whoever sends; other channels and DMs are unaffected', async () => {
    const { gate: g } = gate();
    for (const user of ['U1', 'U2', 'U3', 'U4', 'U5']) expect((await send(g, message(user))).ok).toBe(true);
    const told = await send(g, message('U6'));
    expect(refusal(told)).toMatchObject({ scope: 'channel', tell: true, retryAfterSeconds: 60 });
    expect(userMessageFor(errorOf(told))).toBe("This channel has sent 6 requests in the last minute; I'll take new ones again in ~60 s.");
    expect(refusal(await send(g, message('U7')))).toMatchObject({ scope: 'channel', tell: false });
    expect((await send(g, message('U6', 'C2'))).ok).toBe(true);
    expect((await send(g, message('U6', 'D9'))).ok).toBe(true);
  });

  test('0 turns a rate limit off; the console is exempt', async () => {
    const { gate: g } = gate({ userRatePerMinute: 0, channelRatePerMinute: 0 });
    for (let i = 0; i < 50; i++) expect((await send(g, message('U1'))).ok).toBe(true);
    const { gate: strict } = gate({ userRatePerMinute: 1 });
    for (let i = 0; i < 5; i++) expect((await send(strict, message('console:ada', 'console-1', 'console'))).ok).toBe(true);
  });

  test('over USER_MAX_CONCURRENT a request waits in line behind the same person\'s, told how many are ahead', async () => {
    const { gate: g } = gate({ userRatePerMinute: 10, channelRatePerMinute: 10, userMaxConcurrent: 2, queueWaitMs: 5000 });
    const a = await g.enter(message('U1'));
    const b = await g.enter(message('U1'));
    const told: number[] = [];
    let admitted = false;
    const c = g.enter(message('U1'), { onQueued: (ahead) => told.push(ahead) }).then((x) => { admitted = true; return x; });
    const other = await g.enter(message('U2')); // someone else is not behind U1
    expect(other.ok).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(told).toEqual([1]);
    expect(admitted).toBe(false);
    if (a.ok) a.release();
    const third = await c;
    expect(third.ok).toBe(true);
    for (const x of [b, third, other]) if (x.ok) x.release();
  });

  test('a line that does not move within QUEUE_MAX_WAIT_SECONDS is refused, told once, with a retry time', async () => {
    const { gate: g } = gate({ userRatePerMinute: 10, channelRatePerMinute: 10, userMaxConcurrent: 1, queueWaitMs: 50 });
    const held = await g.enter(message('U1'));
    const [first, second] = await Promise.all([g.enter(message('U1')), g.enter(message('U1'))]);
    expect([refusal(first), refusal(second)]).toEqual([
      { scope: 'user-queue', tell: true, retryAfterSeconds: 60, code: 'RATE_LIMITED' },
      { scope: 'user-queue', tell: false, retryAfterSeconds: 60, code: 'RATE_LIMITED' },
    ]);
    expect(userMessageFor(errorOf(first))).toMatch(/^You already have \d+ requests in line; please wait for those answers/);
    if (held.ok) held.release();
  });
});

describe('SlidingWindow', () => {
  test('keeps only senders with something in the window', () => {
    const w = new SlidingWindow(60_000, 1_000_000);
    for (let i = 0; i < 1000; i++) w.add(`U${i}`, 0);
    expect(w.size).toBe(1000);
    w.sweep(60_000);
    expect(w.size).toBe(0);
  });
});
