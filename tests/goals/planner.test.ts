import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { ModelPlanner } from '../../src/goals/planner.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { memoryMeter, standinModels } from '../support/models.js';

let openai: OpenAIStandin;
let planner: ModelPlanner;
beforeAll(async () => {
  openai = await startOpenAIStandin();
  planner = new ModelPlanner({ models: standinModels(openai.baseURL), model: 'gpt-4.1', maxRetries: 0 });
});
afterAll(async () => { await openai?.close(); });
beforeEach(() => openai.reset());

const t = (id: string, depends_on: string[] = []) => ({ id, title: id, instructions: `do ${id}`, specialty: 'research', depends_on, level: 'tactical', done_when: 'done' });
const options = (meter = memoryMeter()) => ({ specialties: ['research', 'writing'], maxTasks: 3, deadline: Date.now() + 10_000, meter });

test('a valid plan comes back through structured output (json_schema) in one call', async () => {
  openai.enqueue({ json: { title: 'launch', tasks: [t('a'), t('b', ['a'])] }, usage: { prompt_tokens: 300, completion_tokens: 80 } });
  const meter = memoryMeter();
  const outcome = await planner.plan('launch it', options(meter));
  expect(outcome).toMatchObject({ ok: true, plan: { title: 'launch' }, rejected: [] });
  expect(meter.steps).toEqual([expect.objectContaining({ kind: 'plan', status: 'ok', model: 'gpt-4.1', tokensIn: 300, tokensOut: 80 })]);
  expect(openai.requests[0]!.body.response_format?.type).toBe('json_schema');
});

test('a cyclic plan is sent back once with the problem, and the repaired plan is used', async () => {
  openai.enqueue({ json: { title: 'x', tasks: [t('a', ['b']), t('b', ['a'])] } }, { json: { title: 'x', tasks: [t('a'), t('b', ['a'])] } });
  const outcome = await planner.plan('do it', options());
  expect(outcome.ok).toBe(true);
  expect(outcome.rejected[0]![0]).toMatch(/cycle/);
  expect(JSON.stringify(openai.requests[1]!.body.messages)).toMatch(/cannot be used: the dependencies form a cycle/);
});

test('unknown dependency, too many tasks, malformed JSON: one repair, then give up (no crash)', async () => {
  openai.enqueue({ json: { title: 'x', tasks: [t('a', ['ghost'])] } }, { json: { title: 'x', tasks: [t('a'), t('b'), t('c'), t('d')] } });
  const tooMany = await planner.plan('do it', options());
  expect(tooMany).toMatchObject({ ok: false });
  expect(tooMany.rejected.map((problems) => problems[0])).toEqual([expect.stringMatching(/ghost/), expect.stringMatching(/4 tasks; at most 3/)]);
  expect(openai.requests).toHaveLength(2);

  openai.reset();
  openai.enqueue({ raw: '{"title": "x", "tasks": [' }, { raw: 'not json at all' });
  const malformed = await planner.plan('do it', options());
  expect(malformed.ok).toBe(false);
  expect(openai.requests).toHaveLength(2);
});

test('a truncated reply (finish_reason length) is repaired like malformed output', async () => {
  openai.enqueue({ text: '{"title":"x","tasks":[{"id":"a"', finishReason: 'length' }, { json: { title: 'x', tasks: [t('a')] } });
  expect((await planner.plan('do it', options())).ok).toBe(true);
});

test('a model outage is an error, not a repair round', async () => {
  openai.enqueue({ error: { status: 429, code: 'insufficient_quota', type: 'insufficient_quota' } });
  await expect(planner.plan('do it', options())).rejects.toMatchObject({ code: 'MODEL_QUOTA_EXCEEDED' });
  expect(openai.requests).toHaveLength(1);
});
