import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { EmbeddingMatcher } from '../../src/serving/embedding-matcher.js';
import { ChatModelRouter } from '../../src/serving/model-router.js';
import { Router } from '../../src/serving/router.js';
import type { Store } from '../../src/store/store.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { memoryMeter, standinModels } from '../support/models.js';
import { pgliteStore } from '../support/stores.js';

let store: Store;
let openai: OpenAIStandin;
beforeAll(async () => {
  store = await pgliteStore();
  openai = await startOpenAIStandin();
});
afterAll(async () => { await store?.close(); await openai?.close(); });

describe('routing without a model call', () => {
  test('clear requests go straight to the matching built-in specialist', async () => {
    const router = new Router(store.agents, null);
    const deadline = Date.now() + 5000;
    expect(await router.route('Summarize this thread and list the action items', deadline, memoryMeter())).toMatchObject({ agentId: 'summarizer', route: 'direct' });
    expect(await router.route('Can you debug this Python stack trace?', deadline, memoryMeter())).toMatchObject({ agentId: 'coding', route: 'direct' });
    expect(await router.route('Draft an announcement email for customers', deadline, memoryMeter())).toMatchObject({ agentId: 'writing', route: 'direct' });
    expect(await router.route('xyzzy', deadline, memoryMeter())).toMatchObject({ agentId: 'general', route: 'fallback' });
  });

  test('a registry of 1,000+ specialists is searched in SQL, lazily', async () => {
    for (let start = 0; start < 1000; start += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => {
        const i = start + k;
        return store.agents.save({ agentId: `gen-${i}`, specialty: `zorbium${i} handling`, description: `Everything about zorbium${i} reactors`, systemPrompt: 'p', origin: 'spawned' });
      }));
    }
    const { total } = await store.agents.list({ limit: 1 });
    expect(total).toBeGreaterThanOrEqual(1006);
    const decision = await new Router(store.agents, null).route('our zorbium737 reactors are overheating', Date.now() + 5000, memoryMeter());
    expect(decision).toMatchObject({ agentId: 'gen-737', route: 'direct' });
  });
});

describe('model router for ambiguous requests', () => {
  test('close candidates go to the planner model, whose choice and tokens are returned', async () => {
    await store.agents.save({ agentId: 'tax-a', specialty: 'quarlex filings', description: 'quarlex filings and deadlines', systemPrompt: 'p' });
    await store.agents.save({ agentId: 'tax-b', specialty: 'quarlex filings', description: 'quarlex filings and audits', systemPrompt: 'p' });
    openai.reset();
    openai.enqueue({ json: { agent_id: 'tax-b', reason: 'mentions an audit' }, usage: { prompt_tokens: 80, completion_tokens: 12 } });
    const modelRouter = new ChatModelRouter({ models: standinModels(openai.baseURL), model: 'gpt-4.1' });
    const meter = memoryMeter();
    const decision = await new Router(store.agents, modelRouter).route('help with quarlex filings', Date.now() + 5000, meter);
    expect(decision).toMatchObject({ agentId: 'tax-b', route: 'router' });
    expect(meter.steps).toEqual([expect.objectContaining({ kind: 'router', status: 'ok', model: 'gpt-4.1', tokensIn: 80, tokensOut: 12 })]);
    expect(openai.requests).toHaveLength(1);
  });

  test('a failing router model falls back to the best lexical match', async () => {
    openai.reset();
    openai.enqueue({ error: { status: 500 } });
    const modelRouter = new ChatModelRouter({ models: standinModels(openai.baseURL), model: 'gpt-4.1' });
    const decision = await new Router(store.agents, modelRouter).route('help with quarlex filings', Date.now() + 5000, memoryMeter());
    expect(decision.route).toBe('direct');
    expect(['tax-a', 'tax-b']).toContain(decision.agentId);
  });
});

describe('embeddings (EMBEDDING_MODEL) break ties without a chat-model call', () => {
  test('close full-text matches are decided by embedding similarity', async () => {
    openai.reset();
    const embeddings = new EmbeddingMatcher({ models: standinModels(openai.baseURL), model: 'text-embedding-3-small' });
    const router = new Router(store.agents, new ChatModelRouter({ models: standinModels(openai.baseURL), model: 'gpt-4.1' }), { embeddings });
    // "deadlinez" is no word the full-text index knows, but it shares most of its letters with "deadlines".
    const meter = memoryMeter();
    const decision = await router.route('quarlex filings deadlinez', Date.now() + 5000, meter);
    expect(decision).toMatchObject({ agentId: 'tax-a', route: 'direct' });
    // The embeddings call is metered like any other model call: model, tokens and price.
    expect(meter.steps).toEqual([expect.objectContaining({ kind: 'embedding', status: 'ok', model: 'text-embedding-3-small' })]);
    expect(meter.steps[0]!.tokensIn).toBeGreaterThan(0);
    expect(meter.steps[0]!.costUsd).toBeGreaterThan(0);
    expect(decision.reason).toMatch(/embedding match/);
    expect(openai.requests).toHaveLength(0); // no chat completion
    expect(openai.embeddingRequests.length).toBe(1);
    // Specialist vectors are cached: a second request embeds only the request.
    await router.route('quarlex filings deadlinez again', Date.now() + 5000, memoryMeter());
    expect(openai.embeddingRequests.at(-1)!.input).toHaveLength(1);
  });
});

describe('the serving decision reuses the version the registry match read', () => {
  test('a matched specialist is served in its current version with no second lookup; a fallback is looked up', async () => {
    const { ServingDecider } = await import('../../src/serving/serving.js');
    let lookups = 0;
    const agents = { currentVersions: (ids: string[]) => { lookups++; return store.agents.currentVersions(ids); } };
    const decider = new ServingDecider({ router: new Router(store.agents, null), agents, canPlan: false });
    const request = (text: string) => ({ workspaceId: 'T1', userId: 'U1', text, unitKey: 'T1:C1:1', deadline: Date.now() + 5000, meter: memoryMeter() });
    const before = (await store.agents.currentVersions(['coding'])).coding!;
    const coding = (await store.agents.get('coding'))!;
    await store.agents.save({ agentId: 'coding', specialty: coding.specialty, description: coding.description, systemPrompt: 'You debug code; a newer prompt.' });
    const matched = await decider.decide(request('Can you debug this Python stack trace?'));
    expect(matched.agent).toEqual({ agentId: 'coding', version: before + 1 });
    expect(lookups).toBe(0);
    const fallback = await decider.decide(request('xyzzy'));
    expect(fallback.agent).toEqual({ agentId: 'general', version: (await store.agents.currentVersions(['general'])).general });
    expect(lookups).toBe(1);
  });
});
