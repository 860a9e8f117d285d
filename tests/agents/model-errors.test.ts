import { ChatOpenAI } from '@langchain/openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { classifyModelError, userMessageFor } from '../../src/model/model-errors.js';
import { AppError } from '../../src/errors.js';
import { startOpenAIStandin, type OpenAIStandin, type Reply } from '../fakes/openai-standin.js';
import { caught } from './helpers.js';

let standin: OpenAIStandin;
const chat = (baseURL = standin.baseURL) =>
  new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'test-key', maxRetries: 0, configuration: { baseURL } });

/** What the real ChatOpenAI throws for a stand-in reply, classified. */
async function classified(reply: Reply, stream = false): Promise<AppError> {
  standin.enqueue(reply);
  const call = stream
    ? (async () => { for await (const chunk of await chat().stream('hi')) void chunk; })()
    : chat().invoke('hi');
  return classifyModelError(await caught(call));
}

beforeAll(async () => { standin = await startOpenAIStandin(); });
afterAll(async () => { await standin.close(); });
beforeEach(() => standin.reset());

describe('classifyModelError on errors thrown by ChatOpenAI', () => {
  test('429 rate limit: retryable, Retry-After from the headers', async () => {
    for (const stream of [false, true]) {
      const error = await classified({ error: { status: 429, code: 'rate_limit_exceeded', retryAfterSeconds: 7 } }, stream);
      expect(error).toMatchObject({ code: 'MODEL_RATE_LIMITED', retryable: true, retryAfterSeconds: 7 });
    }
    const bare = await classified({ error: { status: 429, code: 'rate_limit_exceeded' } });
    expect(bare.code).toBe('MODEL_RATE_LIMITED');
    expect(bare.retryAfterSeconds).toBeUndefined();
  });

  test('429 insufficient_quota: quota exceeded, not retryable', async () => {
    const error = await classified({ error: { status: 429, code: 'insufficient_quota', type: 'insufficient_quota' } });
    expect(error).toMatchObject({ code: 'MODEL_QUOTA_EXCEEDED', retryable: false });
  });

  test('context_length_exceeded (LangChain ContextOverflowError): overflow, not retryable', async () => {
    const error = await classified({ error: { status: 400, code: 'context_length_exceeded' } });
    expect(error).toMatchObject({ code: 'MODEL_CONTEXT_OVERFLOW', retryable: false, category: 'USER' });
    expect(error.details).toMatchObject({ status: 400, code: 'context_length_exceeded' });
  });

  test('401/403 auth failed; 404 model not found; 5xx server error; other 4xx internal', async () => {
    expect(await classified({ error: { status: 401, code: 'invalid_api_key' } })).toMatchObject({ code: 'MODEL_AUTH_FAILED', retryable: false });
    expect(await classified({ error: { status: 403 } })).toMatchObject({ code: 'MODEL_AUTH_FAILED', retryable: false });
    const missing = await classified({ error: { status: 404, code: 'model_not_found' } });
    expect(missing).toMatchObject({ code: 'MODEL_NOT_CONFIGURED', retryable: false });
    expect(missing.details.reason).toBe('model_not_found');
    expect(await classified({ error: { status: 500 } })).toMatchObject({ code: 'MODEL_SERVER_ERROR', retryable: true });
    expect(await classified({ error: { status: 503 } }, true)).toMatchObject({ code: 'MODEL_SERVER_ERROR', retryable: true });
    expect(await classified({ error: { status: 422 } })).toMatchObject({ code: 'INTERNAL', retryable: false });
  });

  test('connection refused and a stream cut mid-answer: server error, retryable', async () => {
    const refused = classifyModelError(await caught(chat('http://127.0.0.1:9/v1').invoke('hi')));
    expect(refused).toMatchObject({ code: 'MODEL_SERVER_ERROR', retryable: true });
    const cut = await classified({ cutStreamAfterChunks: 3, text: 'a long answer that is cut off in the middle' }, true);
    expect(cut).toMatchObject({ code: 'MODEL_SERVER_ERROR', retryable: true });
  });

  test('an aborted call: timeout, retryable', async () => {
    standin.enqueue({ hang: true });
    const error = classifyModelError(await caught(chat().invoke('hi', { signal: AbortSignal.timeout(100) })));
    expect(error).toMatchObject({ code: 'MODEL_TIMEOUT', retryable: true });
  });

  test('structured output that is not JSON or does not match the schema: bad output', async () => {
    const Verdict = z.object({ label: z.enum(['good', 'bad']) });
    standin.enqueue({ raw: '{"label": ' }, { json: { label: 'meh' } });
    for (let i = 0; i < 2; i++) {
      const error = classifyModelError(await caught(chat().withStructuredOutput(Verdict).invoke('judge')));
      expect(error).toMatchObject({ code: 'MODEL_BAD_OUTPUT', retryable: false });
    }
  });

  test('AppErrors pass through; unknown errors become INTERNAL, not retryable', () => {
    const own = new AppError('AGENT_BUSY', 'busy');
    expect(classifyModelError(own)).toBe(own);
    expect(classifyModelError(new TypeError('x is not a function'))).toMatchObject({ code: 'INTERNAL', retryable: false });
    expect(classifyModelError('weird')).toMatchObject({ code: 'INTERNAL' });
  });

  test('codes win over message text', () => {
    const error = Object.assign(new Error('maximum context length exceeded, try again in 5s'), { status: 500 });
    expect(classifyModelError(error).code).toBe('MODEL_SERVER_ERROR');
  });
});

describe('userMessageFor', () => {
  test('short, honest, actionable sentences', () => {
    expect(userMessageFor(new AppError('MODEL_QUOTA_EXCEEDED', 'x'))).toBe(
      "The assistant's model account is out of credit, so I can't answer right now. An admin needs to check the OpenAI billing.");
    expect(userMessageFor(new AppError('MODEL_RATE_LIMITED', 'x'))).toBe('The model is rate-limiting us right now. Please try again in a minute.');
    expect(userMessageFor(new AppError('MODEL_CONTEXT_OVERFLOW', 'x'))).toBe(
      'That conversation is too long for the model. Start a new thread or shorten the message.');
    expect(userMessageFor(new AppError('MODEL_NOT_CONFIGURED', 'x'))).toMatch(/OPENAI_API_KEY.*OPENAI_BASE_URL/);
    expect(userMessageFor(new AppError('MODEL_RATE_LIMITED', 'x', { retryAfterSeconds: 300 }))).toMatch(/about 5 minutes/);
    for (const code of ['MODEL_AUTH_FAILED', 'MODEL_SERVER_ERROR', 'MODEL_TIMEOUT', 'MODEL_BAD_OUTPUT', 'AGENT_BUSY', 'SPAWN_LIMITED', 'INTERNAL'] as const) {
      const text = userMessageFor(new AppError(code, 'internal detail that must not leak'));
      expect(text.length).toBeLessThan(200);
      expect(text).not.toContain('internal detail');
    }
  });
});
