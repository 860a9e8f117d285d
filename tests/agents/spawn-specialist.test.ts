import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { SpawnBudget, spawnSpecialist, type SpawnDeps } from '../../src/agents/spawn-specialist.js';
import type { Store } from '../../src/store/store.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { pgliteStore } from '../support/stores.js';
import { memoryMeter, standinModels } from '../support/models.js';
import { captureLogger, caught, LONG_PROMPT } from './helpers.js';

let standin: OpenAIStandin;
let store: Store;

beforeAll(async () => {
  [standin, store] = await Promise.all([startOpenAIStandin(), pgliteStore()]);
});
afterAll(async () => {
  await Promise.all([standin.close(), store.close()]);
});
beforeEach(() => standin.reset());

const draft = (overrides: Record<string, unknown> = {}) => ({
  agentId: 'kubernetes-ops', specialty: 'kubernetes operations',
  description: 'Diagnoses Kubernetes deployments, pods that crash, and cluster configuration problems.',
  systemPrompt: `You are a Kubernetes operations specialist. ${LONG_PROMPT}`,
  temperature: 0.2, tools: [], ...overrides,
});

function deps(overrides: Partial<SpawnDeps> = {}): SpawnDeps {
  return {
    store,
    models: standinModels(standin.baseURL),
    plannerModel: 'gpt-4o-mini',
    meter: memoryMeter(),
    budget: new SpawnBudget(100),
    logger: captureLogger().logger,
    ...overrides,
  };
}

describe('spawnSpecialist', () => {
  test('drafts with structured output, stores a spawned config and its lineage', async () => {
    standin.enqueue({ json: draft({ agentId: 'K8s Helper', tools: ['web_search', 'shell'] }) });
    const need = 'someone who can debug our Kubernetes deployments';
    const config = await spawnSpecialist(need, deps({ allowedTools: ['web_search', 'http_get'] }));

    expect(standin.requests).toHaveLength(1);
    const body = standin.requests[0]!.body;
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'specialist_draft' } });
    expect(standin.requests[0]!.lastUserMessage).toContain(need);
    expect(standin.requests[0]!.lastUserMessage).toContain('web_search, http_get');

    expect(config).toMatchObject({ agentId: 'k8s-helper', version: 1, status: 'current', origin: 'spawned', tools: ['web_search'], model: null });
    expect(config.notes).toMatch(/not in the allowlist\): shell/);
    expect(await store.agents.get('k8s-helper')).toMatchObject({ agentId: 'k8s-helper', origin: 'spawned' });
    const { parents } = await store.agents.lineageOf('agent', 'k8s-helper');
    expect(parents).toEqual([expect.objectContaining({ relation: 'inherits', parentKind: 'agent', parentId: 'general', reason: need })]);
  });

  test('a planner model using function calling (e.g. gpt-3.5-turbo) also drafts and repairs', async () => {
    standin.enqueue({ raw: 'not json' }, { json: draft({ agentId: 'via-function-call' }) });
    const plannerModel = 'gpt-3.5-turbo';
    const config = await spawnSpecialist('anything', deps({ plannerModel }));
    expect(config.agentId).toBe('via-function-call');
    expect(standin.requests[1]!.body.tool_choice).toEqual({ type: 'function', function: { name: 'specialist_draft' } });
    expect(standin.requests[1]!.lastUserMessage).toMatch(/not valid JSON/);
  });

  test('an existing agent id gets a numeric suffix; the parent can be chosen', async () => {
    standin.enqueue({ json: draft({ agentId: 'research' }) }, { json: draft({ agentId: 'research' }) });
    const first = await spawnSpecialist('deeper research on patents', deps({ parentAgentId: 'research' }));
    const second = await spawnSpecialist('research on trademarks', deps({ parentAgentId: 'research' }));
    expect([first.agentId, second.agentId]).toEqual(['research-2', 'research-3']);
    expect(first.version).toBe(1);
    expect((await store.agents.lineageOf('agent', 'research')).children.map((e) => e.childId)).toEqual(['research-2', 'research-3']);
  });

  test('tools are dropped when no allowlist is given (deny by default)', async () => {
    standin.enqueue({ json: draft({ agentId: 'no-tools', tools: ['shell'] }) });
    const config = await spawnSpecialist('anything', deps());
    expect(config.tools).toEqual([]);
    expect(config.notes).toMatch(/shell/);
  });

  test('a draft that fails validation is repaired once, with the problem sent back', async () => {
    standin.enqueue({ json: draft({ agentId: 'repaired', systemPrompt: 'You help.' }) }, { json: draft({ agentId: 'repaired' }) });
    const config = await spawnSpecialist('help with release notes', deps());
    expect(config.agentId).toBe('repaired');
    expect(standin.requests).toHaveLength(2);
    const repair = standin.requests[1]!.lastUserMessage;
    expect(repair).toMatch(/systemPrompt/);
    expect(repair).toContain('You help.');
  });

  test('malformed JSON is repaired once too', async () => {
    standin.enqueue({ raw: '{"agentId": "half' }, { json: draft({ agentId: 'after-bad-json' }) });
    const config = await spawnSpecialist('help with invoices', deps());
    expect(config.agentId).toBe('after-bad-json');
    expect(standin.requests[1]!.lastUserMessage).toMatch(/not valid JSON/);
  });

  test('two bad drafts: MODEL_BAD_OUTPUT and nothing stored', async () => {
    standin.enqueue({ json: draft({ agentId: 'never-stored', temperature: 7 }) }, { json: draft({ agentId: 'never-stored', temperature: 7 }) });
    const error = await caught(spawnSpecialist('anything', deps()));
    expect(error.code).toBe('MODEL_BAD_OUTPUT');
    expect(error.message).toMatch(/temperature/);
    expect(standin.requests).toHaveLength(2);
    expect(await store.agents.get('never-stored')).toBeNull();
  });

  test('transport errors from the planner are retried', async () => {
    standin.enqueue({ error: { status: 500 } }, { json: draft({ agentId: 'after-500' }) });
    const config = await spawnSpecialist('anything', deps());
    expect(config.agentId).toBe('after-500');
    expect(standin.requests).toHaveLength(2);
  });

  test('respects the spawn budget: no planner call once the minute is full', async () => {
    const clock = { t: 1_000_000 };
    const budget = new SpawnBudget(1, () => clock.t);
    standin.enqueue({ json: draft({ agentId: 'budgeted' }) }, { json: draft({ agentId: 'budgeted' }) });
    await spawnSpecialist('first', deps({ budget }));
    const error = await caught(spawnSpecialist('second', deps({ budget })));
    expect(error.code).toBe('SPAWN_LIMITED');
    expect(error.message).toMatch(/limit 1/);
    expect(standin.requests).toHaveLength(1);
    clock.t += 60_001;
    expect((await spawnSpecialist('third', deps({ budget }))).agentId).toBe('budgeted-2');
  });
});

describe('SpawnBudget', () => {
  test('a sliding one-minute window', () => {
    const clock = { t: 1_000_000 };
    const budget = new SpawnBudget(2, () => clock.t);
    budget.take();
    clock.t += 30_000;
    budget.take();
    const error = (() => { try { budget.take(); } catch (e) { return e as { code: string; retryAfterSeconds: number }; } throw new Error('no throw'); })();
    expect(error).toMatchObject({ code: 'SPAWN_LIMITED', retryAfterSeconds: 30 });
    clock.t += 30_000; // the first spawn leaves the window
    budget.take();
    expect(() => budget.take()).toThrow(/limit 2/);
  });
});

describe('tool allowlist wildcards', () => {
  test('server__* admits that server\'s tools only', async () => {
    const { isAllowed } = await import('../../src/agents/spawn-specialist.js');
    expect(isAllowed('ops__restart', ['ops__*'])).toBe(true);
    expect(isAllowed('ops__*', ['ops__*'])).toBe(true);
    expect(isAllowed('billing__refund', ['ops__*'])).toBe(false);
    expect(isAllowed('calculator', ['calculator'])).toBe(true);
    expect(isAllowed('calculator', ['ops__*'])).toBe(false);
  });
});
