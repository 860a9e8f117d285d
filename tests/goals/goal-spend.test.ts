import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import type { RecordedRequest } from '../fakes/openai-standin.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// Everything a goal spends reaches the run log as steps with their cost — planning, drafting a specialist,
// the tasks and the synthesis — and the goal's budget counts all of it, not only its tasks.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', MODEL_MAX_RETRIES: '0' }); });
afterAll(async () => { await h?.close(); });
beforeEach(() => h.openai.reset());

const task = (id: string, title: string, specialty: string, depends_on: string[] = []) =>
  ({ id, title, instructions: `Do: ${title}`, specialty, depends_on, level: 'tactical', done_when: `${title} is written` });
const schemaName = (r: RecordedRequest) => r.body.response_format?.json_schema?.name ?? r.body.tool_choice?.function?.name;
const draft = {
  agentId: 'glassblowing', specialty: 'glassblowing techniques', description: 'Explains glassblowing techniques, kilns and annealing schedules.',
  systemPrompt: `You are a glassblowing expert. ${'Explain techniques step by step, name the tools, warn about safety and heat. '.repeat(4)}`,
  temperature: 0.3, tools: [],
};

async function finishedRun(eventId: string) {
  const [run] = await eventually(() => h.store.runs.find({ workspaceId: 'T1', eventId }).then((r) => (r.length ? r : null)));
  return eventually(async () => { const r = await h.store.runs.get(run!.id); return r && r.status !== 'running' ? r : null; }, 15_000);
}

test('plan, spawn, tasks and synthesis each appear as a run step with model, tokens and a price', async () => {
  h.openai.setResponder((req) => {
    if (schemaName(req) === 'plan') {
      return { json: { title: 'Studio', tasks: [task('a', 'Anneal borosilicate', 'vitreous pyrotechnics'), task('b', 'Write a checklist', 'writing', ['a'])] },
        usage: { prompt_tokens: 400, completion_tokens: 120 } };
    }
    if (schemaName(req) === 'specialist_draft') return { json: draft, usage: { prompt_tokens: 300, completion_tokens: 250 } };
    if (req.lastUserMessage.startsWith('Combine these task results')) return { text: 'The studio guide, combined.', usage: { prompt_tokens: 500, completion_tokens: 90 } };
    return { text: 'A task result.', usage: { prompt_tokens: 200, completion_tokens: 60 } };
  });
  const event = mentionEvent({ text: 'plan: explain annealing for our glass studio, then write a checklist from it', user: 'U1', channel: 'C1' });
  await h.send(event);
  const run = await finishedRun(event.event_id);
  expect(run.status).toBe('succeeded');
  const steps = run.steps.map((s) => ({ kind: s.kind, name: s.name, model: s.model, tokens: s.tokensIn + s.tokensOut, costUsd: s.costUsd }));
  expect(steps).toEqual(expect.arrayContaining([
    expect.objectContaining({ kind: 'plan', name: null, model: 'gpt-4.1', tokens: 520 }),
    expect.objectContaining({ kind: 'plan', name: 'spawn', model: 'gpt-4.1', tokens: 550 }),
    expect.objectContaining({ kind: 'model', name: 'a', model: 'gpt-4.1-mini', tokens: 260 }),
    expect.objectContaining({ kind: 'model', name: 'b', model: 'gpt-4.1-mini', tokens: 260 }),
    expect.objectContaining({ kind: 'synthesis', name: 'synthesis', model: 'gpt-4.1-mini', tokens: 590 }),
  ]));
  const modelSteps = run.steps.filter((s) => s.model !== null);
  expect(modelSteps).toHaveLength(5);
  for (const step of modelSteps) expect(step.costUsd).toBeGreaterThan(0);
  // gpt-4.1 at $2/$8 and gpt-4.1-mini at $0.4/$1.6 per million tokens.
  const expected = (400 * 2 + 120 * 8 + 300 * 2 + 250 * 8 + 2 * (200 * 0.4 + 60 * 1.6) + 500 * 0.4 + 90 * 1.6) / 1e6;
  expect(run.costUsd).toBeCloseTo(expected, 9);
  expect(run.costUnknownSteps).toBe(0);
  expect(run.models.sort()).toEqual(['gpt-4.1', 'gpt-4.1-mini']);
  expect(run.agentVersions).toEqual(expect.arrayContaining([{ agentId: 'glassblowing', version: 1 }]));
  expect(await h.store.agents.get('glassblowing')).toMatchObject({ origin: 'spawned' });
});

test('the goal budget counts planning: a plan that alone exceeds GOAL_MAX_TOKENS stops the goal before any task', async () => {
  const small = await startHarness({ SLACK_STREAMING: 'off', MODEL_MAX_RETRIES: '0', GOAL_MAX_TOKENS: '1000' });
  try {
    small.openai.setResponder((req) => (schemaName(req) === 'plan'
      ? { json: { title: 'Big', tasks: [task('a', 'Research it', 'research'), task('b', 'Write it', 'writing', ['a'])] }, usage: { prompt_tokens: 900, completion_tokens: 300 } }
      : { text: 'should not be asked' }));
    const event = mentionEvent({ text: 'plan: research the market, then write the report', user: 'U1', channel: 'C1' });
    await small.send(event);
    const [found] = await eventually(() => small.store.runs.find({ workspaceId: 'T1', eventId: event.event_id }).then((r) => (r.length ? r : null)));
    await eventually(async () => (await small.store.runs.get(found!.id))?.status !== 'running', 15_000);
    expect(small.openai.requests.filter((r) => schemaName(r) !== 'plan')).toHaveLength(0);
    const answer = await eventually(() => small.slack.messages('C1').find((m) => m.thread_ts === event.event.ts && /token budget/.test(m.text ?? '')));
    expect(answer.text).toMatch(/stopped at the token budget/);
  } finally {
    await small.close();
  }
});
