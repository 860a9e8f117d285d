import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { SAFETY_PREAMBLE, UniversalAgent, type UniversalAgentDeps } from '../../src/agents/universal-agent.js';
import { CANARY_LINE } from '../../src/safety/prompt-canary.js';
import type { AgentConfig } from '../../src/store/agents.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { Models } from '../../src/model/models.js';
import { memoryMeter, standinModels } from '../support/models.js';
import { agentConfig, captureLogger, caught } from './helpers.js';

let standin: OpenAIStandin;

function agent(config: Partial<AgentConfig> = {}, deps: Partial<UniversalAgentDeps> = {}): UniversalAgent {
  return new UniversalAgent(agentConfig(config), {
    models: standinModels(standin.baseURL),
    defaultModel: 'gpt-4o-mini',
    maxRetries: 3,
    logger: captureLogger().logger,
    baseDelayMs: 20,
    ...deps,
  });
}
const soon = (ms = 10_000) => Date.now() + ms;

beforeAll(async () => { standin = await startOpenAIStandin(); });
afterAll(async () => { await standin.close(); });
beforeEach(() => standin.reset());

describe('UniversalAgent.run', () => {
  test('fast path: one request, usage mapped to tokens, prompt + preamble + history + question', async () => {
    standin.enqueue({ text: 'Paris.', usage: { prompt_tokens: 42, completion_tokens: 3 } });
    const result = await agent({ systemPrompt: 'You answer geography questions.', temperature: 0.1, maxTokens: 300 }).run({ meter: memoryMeter(),
      text: 'Capital of France?',
      history: [{ role: 'user', text: 'Hi' }, { role: 'assistant', text: 'Hello!' }, { role: 'user', text: '  ' }],
      deadline: soon(),
    });
    expect(result).toMatchObject({ text: 'Paris.', model: 'gpt-4o-mini', tokensIn: 42, tokensOut: 3, modelCalls: 1, finishReason: 'stop' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(standin.requests).toHaveLength(1);
    const body = standin.requests[0]!.body;
    expect(body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0.1, max_tokens: 300 });
    expect(body.stream).toBeFalsy();
    expect(body.messages).toEqual([
      { role: 'system', content: `${CANARY_LINE}\n\nYou answer geography questions.\n\n${SAFETY_PREAMBLE}` },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    expect(SAFETY_PREAMBLE).toMatch(/@channel/);
  });

  test('a per-agent model overrides the default; reasoning models get no temperature', async () => {
    await agent({ model: 'gpt-4.1' }).run({ meter: memoryMeter(), text: 'a', deadline: soon() });
    await agent({ model: 'o4-mini' }).run({ meter: memoryMeter(), text: 'b', deadline: soon() });
    expect(standin.requests.map((r) => r.model)).toEqual(['gpt-4.1', 'o4-mini']);
    expect(standin.requests[0]!.body.temperature).toBe(0.3);
    expect(standin.requests[1]!.body.temperature).toBeUndefined();
  });

  test('streaming forwards tokens and still gets usage', async () => {
    const text = 'The quick brown fox jumps over the lazy dog, twice over.';
    standin.enqueue({ text, usage: { prompt_tokens: 20, completion_tokens: 13 }, finishReason: 'length' });
    const tokens: string[] = [];
    const result = await agent().run({ meter: memoryMeter(), text: 'go', deadline: soon(), onToken: (t) => tokens.push(t) });
    expect(tokens.length).toBeGreaterThan(2);
    expect(tokens.join('')).toBe(text);
    expect(result).toMatchObject({ text, tokensIn: 20, tokensOut: 13, modelCalls: 1, finishReason: 'length' });
    expect(standin.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  test('two 500s then success: answer after 3 model calls, onRetry told each time', async () => {
    standin.enqueue({ error: { status: 500 } }, { error: { status: 500 } }, { text: 'finally' });
    const retries: Array<{ attempt: number; errorCode: string }> = [];
    const result = await agent().run({ meter: memoryMeter(), text: 'q', deadline: soon(), onRetry: ({ attempt, errorCode }) => retries.push({ attempt, errorCode }) });
    expect(result).toMatchObject({ text: 'finally', modelCalls: 3 });
    expect(standin.requests).toHaveLength(3);
    expect(retries).toEqual([{ attempt: 1, errorCode: 'MODEL_SERVER_ERROR' }, { attempt: 2, errorCode: 'MODEL_SERVER_ERROR' }]);
  });

  test('every attempt is a metered step: two failed calls and the answer, each with its model, tokens, cost and latency', async () => {
    standin.enqueue({ error: { status: 500 } }, { error: { status: 500 } }, { text: 'finally', usage: { prompt_tokens: 1000, completion_tokens: 100 } });
    const meter = memoryMeter();
    await agent({ agentId: 'metered', version: 3 }).run({ meter, text: 'q', deadline: soon() });
    expect(meter.steps.map((s) => [s.kind, s.status, s.errorClass ?? null, s.agentId, s.agentVersion, s.model])).toEqual([
      ['model', 'error', 'MODEL_SERVER_ERROR', 'metered', 3, 'gpt-4o-mini'],
      ['model', 'error', 'MODEL_SERVER_ERROR', 'metered', 3, 'gpt-4o-mini'],
      ['model', 'ok', null, 'metered', 3, 'gpt-4o-mini'],
    ]);
    // gpt-4o-mini: $0.15 / $0.60 per million tokens.
    expect(meter.steps[2]!.costUsd).toBeCloseTo((1000 * 0.15 + 100 * 0.6) / 1e6, 12);
    expect(meter.costUsd).toBeCloseTo(meter.steps[2]!.costUsd!, 12);
    expect(meter.steps.every((s) => typeof s.latencyMs === 'number')).toBe(true);
  });

  test('persistent 429 with a small deadline: MODEL_RATE_LIMITED before the deadline', async () => {
    standin.setResponder(() => ({ error: { status: 429, code: 'rate_limit_exceeded' } }));
    const t0 = Date.now();
    const deadline = t0 + 1_500;
    const error = await caught(agent({}, { maxRetries: 20, baseDelayMs: 500 }).run({ meter: memoryMeter(), text: 'q', deadline }));
    expect(error.code).toBe('MODEL_RATE_LIMITED');
    expect(Date.now()).toBeLessThan(deadline + 150);
    expect(standin.requests.length).toBeGreaterThan(1);
    expect(error.details.attempts).toBe(standin.requests.length);
  });

  test('429 with Retry-After: waits as asked, gives up when the next wait would cross the deadline', async () => {
    standin.setResponder(() => ({ error: { status: 429, code: 'rate_limit_exceeded', retryAfterSeconds: 1 } }));
    const t0 = Date.now();
    const error = await caught(agent({}, { maxRetries: 20 }).run({ meter: memoryMeter(), text: 'q', deadline: t0 + 1_600 }));
    expect(error).toMatchObject({ code: 'MODEL_RATE_LIMITED', retryAfterSeconds: 1 });
    expect(standin.requests).toHaveLength(2);
    expect(standin.requests[1]!.startedAt - standin.requests[0]!.startedAt).toBeGreaterThanOrEqual(990);
    expect(Date.now() - t0).toBeLessThan(1_600);
  });

  test('insufficient_quota: exactly one request, not retried', async () => {
    standin.setResponder(() => ({ error: { status: 429, code: 'insufficient_quota', type: 'insufficient_quota' } }));
    const error = await caught(agent().run({ meter: memoryMeter(), text: 'q', deadline: soon() }));
    expect(error).toMatchObject({ code: 'MODEL_QUOTA_EXCEEDED', retryable: false });
    expect(error.details.attempts).toBe(1);
    expect(standin.requests).toHaveLength(1);
  });

  test('context overflow: not retried', async () => {
    standin.setResponder(() => ({ error: { status: 400, code: 'context_length_exceeded' } }));
    const error = await caught(agent().run({ meter: memoryMeter(), text: 'q', deadline: soon(), onToken: () => {} }));
    expect(error.code).toBe('MODEL_CONTEXT_OVERFLOW');
    expect(standin.requests).toHaveLength(1);
  });

  test('a hanging model ends in MODEL_TIMEOUT at the deadline and the request is aborted', async () => {
    standin.setResponder(() => ({ hang: true }));
    const t0 = Date.now();
    const error = await caught(agent().run({ meter: memoryMeter(), text: 'q', deadline: t0 + 300 }));
    expect(error.code).toBe('MODEL_TIMEOUT');
    expect(Date.now() - t0).toBeLessThan(600);
    expect(standin.requests).toHaveLength(1);
    await expect.poll(() => standin.requests[0]!.aborted).toBe(true);
  });

  test('the caller can cancel', async () => {
    standin.setResponder(() => ({ hang: true }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await caught(agent().run({ meter: memoryMeter(), text: 'q', deadline: soon(), signal: controller.signal }));
    expect(error.code).toBe('CANCELLED');
    expect(standin.requests).toHaveLength(1);
  });

  test('a stream cut mid-answer is retried after onReset; only the final attempt text remains', async () => {
    const final = 'The complete and correct answer, streamed in full.';
    standin.enqueue({ cutStreamAfterChunks: 3, text: 'A first answer that will be cut off halfway through.' }, { text: final });
    let shown: string[] = [];
    let resets = 0;
    const result = await agent().run({ meter: memoryMeter(),
      text: 'q', deadline: soon(),
      onToken: (t) => shown.push(t),
      onReset: () => { resets++; shown = []; },
    });
    expect(resets).toBe(1);
    expect(shown.join('')).toBe(final);
    expect(result).toMatchObject({ text: final, modelCalls: 2 });
  });

  test('without onReset a failure after streamed text is not retried (no duplicated text)', async () => {
    standin.enqueue({ cutStreamAfterChunks: 3, text: 'A first answer that will be cut off halfway through.' }, { text: 'unused' });
    const shown: string[] = [];
    const error = await caught(agent().run({ meter: memoryMeter(), text: 'q', deadline: soon(), onToken: (t) => shown.push(t) }));
    expect(error.code).toBe('MODEL_SERVER_ERROR');
    expect(standin.requests).toHaveLength(1);
    expect(shown.join('')).not.toContain('unused');
  });

  test('a streamed error before any token is retried without a reset', async () => {
    standin.enqueue({ error: { status: 503 } }, { text: 'ok then' });
    let resets = 0;
    const shown: string[] = [];
    const result = await agent().run({ meter: memoryMeter(), text: 'q', deadline: soon(), onToken: (t) => shown.push(t), onReset: () => resets++ });
    expect([result.text, result.modelCalls, resets, shown.join('')]).toEqual(['ok then', 2, 0, 'ok then']);
  });
});

describe('UniversalAgent lifecycle', () => {
  test('no endpoint: MODEL_NOT_CONFIGURED without any request', async () => {
    const error = await caught(agent({}, { models: new Models(null) }).run({ meter: memoryMeter(), text: 'q', deadline: soon() }));
    expect(error.code).toBe('MODEL_NOT_CONFIGURED');
    expect(standin.requests).toHaveLength(0);
  });

  test('dispose is idempotent and stops new runs', async () => {
    const a = agent();
    await a.dispose();
    await a.dispose();
    expect(a.isDisposed).toBe(true);
    expect((await caught(a.run({ meter: memoryMeter(), text: 'q', deadline: soon() }))).code).toBe('INTERNAL');
  });

  test('tools in the config without a tool registry are logged as not bound', () => {
    const { logger, lines } = captureLogger();
    agent({ tools: ['web_search'] }, { logger });
    expect(lines.some((l) => l.level === 20 && String(l.msg).includes('they are not bound'))).toBe(true);
  });
});
