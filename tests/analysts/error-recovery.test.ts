import { afterAll, beforeAll, expect, test } from 'vitest';
import { promptChars } from '../fakes/openai-wire.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// The error knowledge base, end to end through Slack and the OpenAI wire: a request whose prompt exceeds the
// model's context fails; once the error analyst has read that failure, the next such request is answered by
// trimming (the recovery is tried once, no blind retry), and the knowledge base counts that it worked.
const CONTEXT_CHARS = 8000;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SLACK_STREAMING: 'off', MAX_INPUT_CHARS: '12000' });
  h.openai.setResponder((req) => (promptChars(req.body.messages) > CONTEXT_CHARS
    ? { error: { status: 400, code: 'context_length_exceeded', type: 'invalid_request_error',
      message: `This model's maximum context length is ${CONTEXT_CHARS / 4} tokens. However, your messages resulted in ${Math.ceil(promptChars(req.body.messages) / 4)} tokens.` } }
    : { text: 'Here is the summary of your notes.' }));
});
afterAll(async () => { await h?.close(); });

const longNotes = (seed: string) => `Summarize these meeting notes: ${Array.from({ length: 400 }, (_, i) => `${seed} point ${i} about the roadmap`).join('; ')}`;

async function ask(text: string) {
  const event = mentionEvent({ text, user: 'U1', channel: 'C1' });
  const before = h.openai.requests.length;
  await h.send(event);
  const [run] = await eventually(() => h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id }).then((r) => (r.length ? r : null)));
  const full = await eventually(async () => { const r = await h.store.runs.get(run!.id); return r && r.status !== 'running' ? r : null; });
  const reply = await eventually(() => h.slack.messages('C1').filter((m) => m.thread_ts === event.event.ts && m.bot_id).at(-1));
  return { run: full, reply: reply.text ?? '', modelRequests: h.openai.requests.length - before };
}

test('context_length_exceeded: after the error analyst has seen it, the next such request is answered by trimming', async () => {
  const first = await ask(longNotes('alpha'));
  expect(first.run).toMatchObject({ status: 'failed', errorClass: 'MODEL_CONTEXT_OVERFLOW' });
  expect(first.reply).toMatch(/too long for the model/);
  expect(first.modelRequests).toBe(1); // not retryable: no blind retry

  // The analyst reads runs that finished at least a second ago; ask until it has read this one.
  await expect.poll(async () => (await h.app.analysts.scheduler.runNow(['errors']))[0], { timeout: 5000, interval: 200 })
    .toMatchObject({ job: 'errors', claimed: true, result: { rowsRead: 1, findings: 1 } });
  const [known] = await h.store.analysts.errorKnowledge();
  expect(known).toMatchObject({ errorClass: 'MODEL_CONTEXT_OVERFLOW', occurrences: 1, recovery: 'trim_context', agentId: first.run.agentIds[0] });

  const second = await ask(longNotes('beta'));
  expect(second.run.status).toBe('succeeded');
  expect(second.modelRequests).toBe(2); // the failure, then one trimmed attempt
  const [failedCall, trimmedCall] = h.openai.requests.slice(-2);
  expect(promptChars(failedCall!.body.messages)).toBeGreaterThan(CONTEXT_CHARS);
  expect(promptChars(trimmedCall!.body.messages)).toBeLessThanOrEqual(CONTEXT_CHARS);
  expect(second.reply).toMatch(/Here is the summary/);
  expect(second.reply).toMatch(/too long for the model, so I answered from the start of your message only/);
  expect(second.run.steps.filter((s) => s.kind === 'recovery')).toEqual([expect.objectContaining({ name: 'trim_context', status: 'ok', errorClass: 'MODEL_CONTEXT_OVERFLOW' })]);
  expect(second.run.steps.filter((s) => s.kind === 'model').map((s) => s.status)).toEqual(['error', 'ok']);
  const [after] = await h.store.analysts.errorKnowledge();
  expect(after).toMatchObject({ recoveryAttempts: 1, recoverySuccesses: 1 });

  // The analyst reads only what is new: a second pass right away finds nothing to read.
  const [again] = await h.app.analysts.scheduler.runNow(['errors']);
  expect(again).toMatchObject({ claimed: true, result: { rowsRead: 0 } });
  // Its runs are in the run log as analyst runs.
  const analystRuns = await h.store.analysts.latestRuns();
  expect(analystRuns.find((r) => r.job === 'errors')).toMatchObject({ finishedAt: expect.any(String), error: null, rowsRead: 0 });
});
