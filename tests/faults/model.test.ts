import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Reply, RecordedRequest } from '../fakes/openai-standin.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { botMessages, endedRun, threadText } from './support.js';

// Fault suite, part 2: what the model provider answers (through the OpenAI wire stand-in). Each case is one
// mention; the table says what the provider does and what the person and the run log must show.
let h: Harness;
const TIMEOUT_MS = 2500;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', MODEL_TIMEOUT_MS: String(TIMEOUT_MS) }); });
afterAll(async () => { await h?.close(); });
beforeEach(() => { h.openai.reset(); });

const structured = (r: RecordedRequest) => Boolean(r.body.response_format || r.body.tool_choice);

interface Case {
  name: string;
  text?: string;
  /** Replies for the first requests, in order; the default responder answers the rest. */
  replies?: Reply[];
  responder?: (r: RecordedRequest) => Reply;
  /** The answer (or notice) the person reads, and nothing else from the bot in the thread. */
  says: RegExp[];
  run: { status: string; errorClass?: string | null };
  requests?: number;
  check?: (requests: RecordedRequest[], elapsedMs: number, thread: string) => void;
}

const cases: Case[] = [
  {
    name: '429 with Retry-After: 1 s, then an answer (the wait is honoured, not hammered)',
    replies: [{ error: { status: 429, code: 'rate_limit_exceeded', retryAfterSeconds: 1 } }],
    says: [/Answer:/], run: { status: 'succeeded' }, requests: 2,
    check: ([first, second]) => expect(second!.startedAt - first!.startedAt).toBeGreaterThanOrEqual(950),
  },
  {
    name: 'insufficient_quota: one request, not retried; the person is told about credit',
    replies: [{ error: { status: 429, code: 'insufficient_quota', type: 'insufficient_quota' } }],
    says: [/out of credit/], run: { status: 'failed', errorClass: 'MODEL_QUOTA_EXCEEDED' }, requests: 1,
  },
  { name: '500 then 200', replies: [{ error: { status: 500 } }], says: [/Answer:/], run: { status: 'succeeded' }, requests: 2 },
  { name: '503 then 200', replies: [{ error: { status: 503 } }], says: [/Answer:/], run: { status: 'succeeded' }, requests: 2 },
  {
    name: 'a hung response: told within the deadline, every request aborted',
    responder: () => ({ hang: true }),
    says: [/took too long/], run: { status: 'failed', errorClass: 'MODEL_TIMEOUT' },
    check: (requests, elapsedMs) => {
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 3000);
      expect(requests.every((r) => r.aborted)).toBe(true);
    },
  },
  {
    name: 'a stream cut mid-way: retried from the start, the partial text withdrawn, the answer shown once',
    replies: [{ cutStreamAfterChunks: 4, text: 'Partial words that stream and then the connection drops before the end' }, { text: 'A complete answer, sent whole.' }],
    says: [/^A complete answer, sent whole\./], run: { status: 'succeeded' }, requests: 2,
    // Whatever of the partial answer was shown gave way to the notice, then to the answer: none of it is left.
    check: (_requests, _elapsed, thread) => {
      expect(thread).not.toMatch(/Partial words/);
    },
  },
  {
    name: 'context_length_exceeded: not retried blindly; the person is told what to do',
    replies: [{ error: { status: 400, code: 'context_length_exceeded', type: 'invalid_request_error' } }],
    says: [/too long for the model/], run: { status: 'failed', errorClass: 'MODEL_CONTEXT_OVERFLOW' }, requests: 1,
  },
  {
    name: 'malformed JSON from the planner (structured output): repaired once, then a direct answer with a note',
    text: 'plan: research three competitors, then draft the announcement from that',
    responder: (r) => (structured(r) ? { raw: '{"tasks": [{"id": "t1", "title": "Research' } : { text: 'Answer: direct' }),
    says: [/could not break this into a plan/, /Answer: direct/], run: { status: 'succeeded' },
  },
  {
    name: 'a refusal in structured output: treated as no plan, answered directly with a note',
    text: 'plan: research three competitors, then draft the announcement from that',
    responder: (r) => (structured(r) ? { refusal: "I'm sorry, I can't help with planning that." } : { text: 'Answer: direct' }),
    says: [/could not break this into a plan/, /Answer: direct/], run: { status: 'succeeded' },
  },
];

describe('the model provider fails', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    if (c.replies) h.openai.enqueue(...c.replies);
    if (c.responder) h.openai.setResponder(c.responder);
    const event = mentionEvent({ text: c.text ?? `question for: ${c.name}`, user: 'U1' });
    const started = Date.now();
    await h.send(event);
    const run = await eventually(() => endedRun(h, event.event_id), 15_000);
    const elapsed = Date.now() - started;
    await h.settled();
    expect(run).toMatchObject({ status: c.run.status, errorClass: c.run.errorClass ?? null });
    const said = botMessages(h, 'C1', event.event.ts).map((m) => m.text as string);
    expect(said).toHaveLength(c.says.length);
    c.says.forEach((pattern, i) => expect(said[i]).toMatch(pattern));
    const chat = h.openai.requests.filter((r) => !structured(r));
    if (c.requests !== undefined) expect(chat).toHaveLength(c.requests);
    c.check?.(h.openai.requests, elapsed, threadText(h, 'C1', event.event.ts));
  });

  test('each rejected plan is a note on the run, with its error class', async () => {
    h.openai.setResponder((r) => (structured(r) ? { raw: 'not json at all' } : { text: 'Answer: direct' }));
    const event = mentionEvent({ text: 'plan: compare two vendors, then write a summary from that', user: 'U2' });
    await h.send(event);
    const run = await eventually(() => endedRun(h, event.event_id));
    const steps = (await h.store.runs.get(run.id))!.steps;
    expect(steps.filter((s) => s.name === 'plan rejected').map((s) => s.errorClass)).toEqual(['MODEL_BAD_OUTPUT', 'MODEL_BAD_OUTPUT']);
  });
});
