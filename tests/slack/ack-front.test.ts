import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mentionEvent, signRequest } from '../fakes/slack-events.js';
import { eventually, SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';

// HTTP mode acknowledges events on its own thread (src/slack/ack-front.ts): a busy main thread must not delay
// the ack. The request is sent from a worker thread, so the test's (and the app's) main thread can be blocked.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off' }); });
afterAll(async () => { await h?.close(); });

// Long enough that load on a shared machine (slow thread wake-ups) cannot make a blocked ack look like a fast one.
const BLOCK_MS = 2000;

/** POSTs the body from another thread; resolves with the response's status and how long it took. */
function postFromAnotherThread(url: string, body: string, headers: Record<string, string>, onSending: () => void) {
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    parentPort.postMessage({ kind: 'sending' });
    const started = performance.now();
    fetch(workerData.url, { method: 'POST', headers: workerData.headers, body: workerData.body })
      .then(async (r) => { await r.arrayBuffer(); parentPort.postMessage({ kind: 'done', status: r.status, ms: performance.now() - started }); })
      .catch((e) => parentPort.postMessage({ kind: 'done', status: 0, ms: -1, error: String(e) }));
  `, { eval: true, workerData: { url, body, headers } });
  return new Promise<{ status: number; ms: number }>((resolve) => {
    worker.on('message', (m: { kind: string; status: number; ms: number }) => {
      if (m.kind === 'sending') onSending();
      else { void worker.terminate(); resolve(m); }
    });
  });
}

/** Holds the main thread (where the app runs) for ms, as a long synchronous stretch of work would. */
function blockMainThread(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
}

describe('acknowledgement front', () => {
  test('an event is acknowledged while the main thread is blocked, then answered', async () => {
    const event = mentionEvent({ text: 'acked while busy?', user: 'U1', channel: 'C1' });
    const body = JSON.stringify(event);
    const headers = { 'content-type': 'application/json', ...signRequest(SIGNING_SECRET, body) };
    // The main thread blocks as soon as the other thread starts sending: without the front, nothing accepts the
    // connection until the block ends.
    const result = await postFromAnotherThread(`${h.url}/slack/events`, body, headers, () => blockMainThread(BLOCK_MS));
    expect(result.status).toBe(200);
    expect(result.ms).toBeLessThan(BLOCK_MS / 2);
    await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === event.event.ts && m.bot_id && /acked while busy/.test(m.text ?? '')));
  });

  test('a forged event is not acknowledged early: the main thread refuses it (401), with no model call', async () => {
    const event = mentionEvent({ text: 'forged', user: 'U1' });
    const response = await h.send(event, { forgedSignature: true });
    expect(response.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.openai.requests.filter((r) => r.lastUserMessage.includes('forged'))).toHaveLength(0);
  });

  test('/health and url_verification are relayed to the main thread and answered from there', async () => {
    const health = await fetch(`${h.url}/health`);
    expect(health.status).toBe(200);
    const challenge = await h.send({ token: 'x', challenge: 'c-123', type: 'url_verification' });
    expect(challenge.status).toBe(200);
    expect(await challenge.text()).toContain('c-123');
  });
});
