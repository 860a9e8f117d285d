import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import OpenAI from 'openai';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { AIMessageChunk, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { startOpenAIStandin, type OpenAIStandin, type RecordedRequest } from './openai-standin.js';
import { splitText } from './openai-wire.js';

let standin: OpenAIStandin;
let sdk: OpenAI;

const chat = (fields: Record<string, unknown> = {}) =>
  new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'test-key', maxRetries: 0, configuration: { baseURL: standin.baseURL }, ...fields });

async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

beforeAll(async () => {
  standin = await startOpenAIStandin();
  sdk = new OpenAI({ apiKey: 'test-key', baseURL: standin.baseURL, maxRetries: 0 });
});
afterAll(async () => {
  await standin.close();
});
beforeEach(() => standin.reset());

describe('chat completions through the openai SDK', () => {
  test('plain text, non-streamed, with estimated usage and a recorded request', async () => {
    standin.enqueue({ text: 'Hello there, friend.' });
    const messages = [
      { role: 'system' as const, content: 'You are terse.' }, // 14 chars
      { role: 'user' as const, content: 'Say hello to me' }, // 15 chars
    ];
    const res = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages });

    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.choices[0]!.message).toMatchObject({ role: 'assistant', content: 'Hello there, friend.', refusal: null });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toEqual({ prompt_tokens: Math.ceil(29 / 4), completion_tokens: Math.ceil(20 / 4), total_tokens: 8 + 5 });

    expect(standin.requests).toHaveLength(1);
    const rec = standin.requests[0]!;
    expect(rec).toMatchObject({ path: '/v1/chat/completions', stream: false, model: 'gpt-4o-mini', lastUserMessage: 'Say hello to me', status: 200 });
    expect(rec.headers.authorization).toBe('Bearer test-key');
    expect(rec.endedAt).toBeGreaterThanOrEqual(rec.startedAt);
  });

  test('explicit usage and finish_reason length; default responder echoes the question', async () => {
    standin.enqueue({ text: 'cut sh', usage: { prompt_tokens: 100, completion_tokens: 7 }, finishReason: 'length' });
    const first = await sdk.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(first.usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 7, total_tokens: 107 });
    expect(first.choices[0]!.finish_reason).toBe('length');

    const question = 'What is the capital of France? '.repeat(5);
    const second = await sdk.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: question }] }],
    });
    expect(second.choices[0]!.message.content).toBe(`Answer: ${question.slice(0, 80)}`);
  });

  test('streamed text with include_usage: several content chunks, finish chunk, usage chunk', async () => {
    const text = 'One two three four five six seven eight nine ten eleven.';
    standin.enqueue({ text });
    const stream = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);

    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const pieces = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter(Boolean);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.join('')).toBe(text);
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0]!.finish_reason)).toEqual(['stop']);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 2, completion_tokens: Math.ceil(text.length / 4), total_tokens: 2 + Math.ceil(text.length / 4) });
    expect(standin.requests[0]!.stream).toBe(true);
  });

  test('streamed without include_usage sends no usage chunk', async () => {
    const stream = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  test('cutStreamAfterChunks delivers some chunks then fails the stream', async () => {
    standin.enqueue({ cutStreamAfterChunks: 2, text: 'alpha beta gamma delta epsilon zeta eta theta' });
    const stream = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const got: string[] = [];
    const err = await caught(
      (async () => {
        for await (const c of stream) got.push(c.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(err).toBeInstanceOf(Error);
    expect(got.join('')).toBe('alpha beta gamma ');
    await expect.poll(() => standin.requests[0]!.aborted).toBe(true);
  });

  test('raw content is sent verbatim', async () => {
    standin.enqueue({ raw: '{"answer": 4' });
    const res = await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]!.message.content).toBe('{"answer": 4');
  });

  test('GET /models lists model ids', async () => {
    const ids: string[] = [];
    for await (const m of sdk.models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-4o-mini');
  });
});

describe('errors', () => {
  test('429 rate_limit_exceeded surfaces status, code, type and retry-after', async () => {
    standin.enqueue({ error: { status: 429, code: 'rate_limit_exceeded', retryAfterSeconds: 7 } });
    const err = await caught(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.type).toBe('requests');
    expect(err.headers.get('retry-after')).toBe('7');
    expect(standin.requests).toHaveLength(1); // maxRetries: 0 means exactly one attempt
  });

  test('429 through ChatOpenAI keeps status and code', async () => {
    standin.enqueue({ error: { status: 429, code: 'rate_limit_exceeded' } });
    const err = await caught(chat().invoke('hi'));
    expect(err.status).toBe(429);
    expect(err.code).toBe('rate_limit_exceeded');
    expect(standin.requests).toHaveLength(1);
  });

  test('429 insufficient_quota through ChatOpenAI is classified as quota exhaustion', async () => {
    standin.enqueue({ error: { status: 429, code: 'insufficient_quota' } });
    const err = await caught(chat({ maxRetries: 3 }).invoke('hi'));
    expect(err.name).toBe('InsufficientQuotaError');
    expect(err.status).toBe(429);
    expect(standin.requests).toHaveLength(1); // never retried despite maxRetries: 3
  });

  test('400 context_length_exceeded becomes ContextOverflowError; 500/503/401 keep their status', async () => {
    standin.enqueue({ error: { status: 400, code: 'context_length_exceeded' } });
    const overflow = await caught(chat().invoke('hi'));
    expect(overflow.name).toBe('ContextOverflowError');

    for (const e of [{ status: 500 }, { status: 503 }, { status: 401, code: 'invalid_api_key' }]) {
      standin.enqueue({ error: e });
      const err = await caught(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
      expect(err.status).toBe(e.status);
      expect(err.error).toMatchObject({ code: e.code ?? null, param: null });
    }
  });

  test('a throwing responder becomes a 500', async () => {
    standin.setResponder(() => {
      throw new Error('boom');
    });
    const err = await caught(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    expect(err.status).toBe(500);
    expect(err.message).toContain('boom');
  });
});

describe('LangChain ChatOpenAI', () => {
  test('invoke returns text and usage_metadata', async () => {
    standin.enqueue({ text: 'Paris.', usage: { prompt_tokens: 12, completion_tokens: 2 } });
    const msg = await chat().invoke([new SystemMessage('Be brief.'), new HumanMessage('Capital of France?')]);
    expect(msg.content).toBe('Paris.');
    expect(msg.usage_metadata).toMatchObject({ input_tokens: 12, output_tokens: 2, total_tokens: 14 });
    expect(standin.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    expect(String(standin.requests[0]!.headers['user-agent'])).toMatch(/^langchainjs-openai\//);
  });

  test('stream() asks for include_usage and reassembles text and usage', async () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    standin.enqueue({ text });
    let acc: AIMessageChunk | undefined;
    let n = 0;
    for await (const chunk of await chat().stream('go')) {
      acc = acc ? acc.concat(chunk) : chunk;
      n++;
    }
    expect(n).toBeGreaterThan(3);
    expect(acc!.content).toBe(text);
    expect(acc!.usage_metadata?.output_tokens).toBe(Math.ceil(text.length / 4));
    expect(standin.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  const getWeather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
    name: 'get_weather',
    description: 'Weather for a city',
    schema: z.object({ city: z.string() }),
  });

  test('bindTools: tool call reply is parsed into AIMessage.tool_calls', async () => {
    standin.enqueue({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] });
    const msg = await chat().bindTools([getWeather]).invoke('weather in Paris?');
    expect(msg.tool_calls).toEqual([{ id: 'call_1', name: 'get_weather', args: { city: 'Paris' }, type: 'tool_call' }]);
    expect(msg.response_metadata.finish_reason).toBe('tool_calls');
    expect(standin.requests[0]!.body.tools[0]).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
  });

  test('bindTools while streaming: two tool calls reassembled from chunks', async () => {
    standin.enqueue({
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris, Île-de-France, FR' } },
        { name: 'get_weather', arguments: { city: 'Oslo' } },
      ],
    });
    let acc: AIMessageChunk | undefined;
    for await (const chunk of await chat().bindTools([getWeather]).stream('weather?')) acc = acc ? acc.concat(chunk) : chunk;
    expect(acc!.tool_calls?.map((t) => t.args)).toEqual([{ city: 'Paris, Île-de-France, FR' }, { city: 'Oslo' }]);
    expect(acc!.tool_calls?.every((t) => t.name === 'get_weather' && t.id?.startsWith('call_'))).toBe(true);
  });

  const Verdict = z.object({ label: z.enum(['good', 'bad']), score: z.number() });

  test('withStructuredOutput on gpt-4o-mini uses response_format json_schema and parses {json}', async () => {
    standin.enqueue({ json: { label: 'good', score: 0.9 } });
    const out = await chat().withStructuredOutput(Verdict, { name: 'verdict' }).invoke('judge this');
    expect(out).toEqual({ label: 'good', score: 0.9 });
    const body = standin.requests[0]!.body;
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'verdict', strict: true } });
    expect(body.tools).toBeUndefined();
  });

  test('withStructuredOutput on the default model (gpt-3.5-turbo) uses a forced function call', async () => {
    standin.enqueue({ json: { label: 'bad', score: 0.1 } });
    const out = await chat({ model: undefined }).withStructuredOutput(Verdict, { name: 'verdict' }).invoke('judge this');
    expect(out).toEqual({ label: 'bad', score: 0.1 });
    const body = standin.requests[0]!.body;
    expect(body.model).toBe('gpt-3.5-turbo');
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'verdict' } });
    expect(body.response_format).toBeUndefined();
  });

  test('withStructuredOutput rejects malformed JSON and schema mismatches', async () => {
    standin.enqueue({ raw: '{"label": "good", "score": ' }, { json: { label: 'meh', score: 1 } });
    await expect(chat().withStructuredOutput(Verdict).invoke('judge')).rejects.toThrow();
    await expect(chat().withStructuredOutput(Verdict).invoke('judge')).rejects.toThrow();
    expect(standin.requests).toHaveLength(2);
  });
});

describe('timing, hangs and concurrency', () => {
  test('hang + client timeout rejects promptly and the request is recorded as aborted', async () => {
    standin.enqueue({ hang: true });
    const t0 = Date.now();
    const err = await caught(sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { timeout: 200 }));
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - t0).toBeLessThan(3000);
    await expect.poll(() => standin.inFlight).toBe(0);
    const rec = standin.requests[0]!;
    expect(rec.aborted).toBe(true);
    expect(rec.status).toBeUndefined();
    expect(rec.endedAt).toBeGreaterThanOrEqual(rec.startedAt + 150);
  });

  test('hang + AbortSignal through ChatOpenAI', async () => {
    standin.setResponder(() => ({ hang: true }));
    const err = await caught(chat().invoke('hi', { signal: AbortSignal.timeout(150) }));
    expect(err).toBeInstanceOf(Error);
    await expect.poll(() => standin.requests[0]?.aborted).toBe(true);
  });

  test('close() ends hanging requests instead of leaving them open', async () => {
    const own = await startOpenAIStandin();
    own.enqueue({ hang: true });
    const client = new OpenAI({ apiKey: 'k', baseURL: own.baseURL, maxRetries: 0, timeout: 60_000 });
    const pending = caught(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }));
    await expect.poll(() => own.requests.length).toBe(1);
    const t0 = Date.now();
    await own.close();
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  test('maxConcurrent counts 3 parallel requests under latency, 1 for sequential ones', async () => {
    standin.setLatency(150);
    const model = chat();
    const t0 = Date.now();
    await Promise.all(['a', 'b', 'c'].map((q) => model.invoke(q)));
    expect(Date.now() - t0).toBeLessThan(450); // overlapped, not 3 x 150 ms
    expect(standin.maxConcurrent).toBe(3);
    const [a, b, c] = standin.requests as [RecordedRequest, RecordedRequest, RecordedRequest];
    for (const [x, y] of [[a, b], [a, c], [b, c]] as const) {
      expect(x.startedAt).toBeLessThan(y.endedAt!);
      expect(y.startedAt).toBeLessThan(x.endedAt!);
    }

    standin.reset();
    standin.setLatency(20);
    for (const q of ['d', 'e', 'f']) await model.invoke(q);
    expect(standin.maxConcurrent).toBe(1);
  });

  test('a reply delayMs overrides the default latency', async () => {
    standin.setLatency(1000);
    standin.enqueue({ text: 'fast', delayMs: 0 });
    const t0 = Date.now();
    await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(Date.now() - t0).toBeLessThan(500);

    standin.enqueue({ text: 'slow', delayMs: 200 });
    const t1 = Date.now();
    await sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(Date.now() - t1).toBeGreaterThanOrEqual(190);
  });
});

describe('embeddings', () => {
  test('deterministic unit vectors; similar texts are closer (openai SDK, base64 and float)', async () => {
    const input = ['How do I reset my password?', 'how can I reset my password', 'Quarterly revenue grew by 12 percent'];
    const res = await sdk.embeddings.create({ model: 'text-embedding-3-small', input });
    const [p1, p2, other] = res.data.map((d) => d.embedding);
    expect(p1).toHaveLength(64);
    expect(Math.hypot(...p1!)).toBeCloseTo(1, 5);
    expect(cosine(p1!, p2!)).toBeGreaterThan(0.7);
    expect(cosine(p1!, p2!)).toBeGreaterThan(cosine(p1!, other!) + 0.3);
    expect(res.usage.prompt_tokens).toBeGreaterThan(0);

    const float = await sdk.embeddings.create({ model: 'text-embedding-3-small', input: input[0]!, encoding_format: 'float' });
    float.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(p1![i]!, 5));
    expect(standin.embeddingRequests.map((b) => b.encoding_format)).toEqual(['base64', 'float']);
    expect(standin.requests).toHaveLength(0); // chat requests only
  });

  test('OpenAIEmbeddings from LangChain', async () => {
    const emb = new OpenAIEmbeddings({ apiKey: 'test-key', model: 'text-embedding-3-small', maxRetries: 0, configuration: { baseURL: standin.baseURL } });
    const [a, b] = await emb.embedDocuments(['deploy the service to production', 'deploying service to prod']);
    const q = await emb.embedQuery('banana bread recipe');
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, q));
  });
});

test('splitText keeps the text intact', () => {
  for (const s of ['', '   ', 'one', '  lead and trail  ', 'a\nb\n\nc d e f g']) expect(splitText(s).join('')).toBe(s);
});
