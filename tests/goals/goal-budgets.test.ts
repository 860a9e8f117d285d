import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RecordedRequest } from '../fakes/openai-standin.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// Wall time and the number of specialists per goal stop a goal cleanly: finished work is kept, the user is told
// which limit stopped it.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', MODEL_MAX_RETRIES: '0', GOAL_MAX_SECONDS: '2', GOAL_MAX_AGENTS: '1' }); });
afterAll(async () => { await h?.close(); });

const task = (id: string, title: string, specialty: string, depends_on: string[] = []) =>
  ({ id, title, instructions: `Do: ${title}`, specialty, depends_on, level: 'tactical', done_when: 'done' });
const taskOf = (r: RecordedRequest) => /Your task: (.+)/.exec(r.lastUserMessage)?.[1];
const answerIn = (ts: string) => h.slack.messages('C1').find((m) => m.thread_ts === ts && m.bot_id && !/[▓░]/.test(m.text ?? '') && /stopped at/.test(m.text ?? ''));

test('the time limit stops running tasks and keeps finished results', async () => {
  h.openai.setResponder((req) => {
    if (req.body.response_format?.json_schema?.name === 'plan') {
      return { json: { title: 'Timed', tasks: [task('a', 'Quick part', 'writing'), task('b', 'Endless part', 'writing', ['a'])] } };
    }
    if (req.lastUserMessage.startsWith('Combine')) return { text: 'Partial package.' };
    return taskOf(req) === 'Endless part' ? { text: 'too late', delayMs: 10_000 } : { text: 'Quick result.' };
  });
  const event = mentionEvent({ text: 'plan: write a quick part then an endless part', user: 'U1', channel: 'C1' });
  const sentAt = Date.now();
  await h.send(event);
  const answer = await eventually(() => answerIn(event.event.ts), 15_000);
  expect(answer.text).toMatch(/stopped at the time limit/);
  expect(Date.now() - sentAt).toBeLessThan(8000);
  const [run] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
  const full = await eventually(async () => { const r = await h.store.runs.get(run!.id); return r?.status !== 'running' ? r : null; });
  expect(full.steps.find((s) => s.name === 'b')?.status).toBe('cancelled');
});

test('the limit on specialists per goal stops before a second specialist is used', async () => {
  h.openai.setResponder((req) => {
    if (req.body.response_format?.json_schema?.name === 'plan') {
      return { json: { title: 'Mixed', tasks: [task('a', 'Write copy', 'writing'), task('b', 'Fix the code', 'coding', ['a'])] } };
    }
    if (req.lastUserMessage.startsWith('Combine')) return { text: 'Copy only.' };
    return { text: `done: ${taskOf(req)}` };
  });
  const event = mentionEvent({ text: 'plan: write the copy then fix the code', user: 'U1', channel: 'C1' });
  await h.send(event);
  const answer = await eventually(() => answerIn(event.event.ts), 15_000);
  expect(answer.text).toMatch(/stopped at the limit on specialists per goal/);
  expect(h.openai.requests.filter((r) => taskOf(r) === 'Fix the code')).toHaveLength(0);
});
