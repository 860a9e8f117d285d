/**
 * A loopback stand-in for the OpenAI API, for integration tests.
 *
 *   const openai = await startOpenAIStandin();
 *   process.env.OPENAI_BASE_URL = openai.baseURL;   // http://127.0.0.1:PORT/v1
 *   openai.enqueue({ text: 'hello' }, { error: { status: 429, code: 'rate_limit_exceeded' } });
 *   ...
 *   await openai.close();
 *
 * Endpoints: POST /v1/chat/completions (plain and SSE streaming),
 * POST /v1/embeddings, GET /v1/models. The `/v1` prefix is optional.
 *
 * Each chat request consumes one Reply: first from the FIFO queue, otherwise
 * from the responder (default: `Answer: <last user message, first 80 chars>`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type Completion,
  type WireToolCall,
  completionBody,
  embeddingsBody,
  errorBody,
  estimateTokens,
  lastUserMessage,
  modelsBody,
  promptChars,
  sseData,
  sseDone,
  streamChunks,
} from './openai-wire.js';

type UsageIn = { prompt_tokens: number; completion_tokens: number };

export type Reply =
  /** chunkDelayMs (streamed requests): the wait between SSE chunks, for an answer that arrives over time. */
  | { text: string; usage?: UsageIn; finishReason?: 'stop' | 'length'; delayMs?: number; chunkDelayMs?: number }
  /** `arguments` is JSON-stringified unless it already is a string (then sent as-is). */
  | { toolCalls: Array<{ id?: string; name: string; arguments: unknown }>; delayMs?: number; usage?: UsageIn }
  /**
   * Content is JSON.stringify(json) (response_format json_schema / json_object).
   * If the request forces one function via tool_choice (function-calling
   * structured output), it is answered as a call of that function instead.
   */
  | { json: unknown; delayMs?: number; usage?: UsageIn }
  /** Content sent verbatim, e.g. malformed JSON. */
  | { raw: string; delayMs?: number; usage?: UsageIn }
  /** A refusal (structured outputs): `message.refusal` set, content null. */
  | { refusal: string; delayMs?: number; usage?: UsageIn }
  | {
      error: { status: number; code?: string; type?: string; message?: string; retryAfterSeconds?: number };
      delayMs?: number;
    }
  /** Never answers, until the client aborts or the stand-in is closed. */
  | { hang: true }
  /**
   * Streamed requests: write this many SSE chunks (the role chunk counts),
   * then destroy the socket. Non-streamed requests: destroy the socket at once.
   */
  | { cutStreamAfterChunks: number; text: string; delayMs?: number };

export interface RecordedRequest {
  path: string;
  body: any;
  headers: Record<string, string | string[] | undefined>;
  startedAt: number;
  /** Set when the response finished or the connection closed. */
  endedAt?: number;
  stream: boolean;
  model: string;
  lastUserMessage: string;
  /** HTTP status sent (undefined if none was, e.g. hang or cut). */
  status?: number;
  /** True if the connection closed before the response was complete. */
  aborted?: boolean;
}

export interface OpenAIStandin {
  /** e.g. http://127.0.0.1:PORT/v1 */
  baseURL: string;
  /** Chat completion requests only, in arrival order (recorded on arrival). */
  requests: RecordedRequest[];
  /** Bodies of embeddings requests, in arrival order. */
  embeddingRequests: any[];
  /** Consumed FIFO, one per chat request. */
  enqueue(...replies: Reply[]): void;
  /** Used when the queue is empty. */
  setResponder(fn: (req: RecordedRequest) => Reply | Promise<Reply>): void;
  /** Default added delay for every chat reply (a reply's own delayMs replaces it). */
  setLatency(ms: number): void;
  /** Chat requests currently in flight. */
  readonly inFlight: number;
  /** Highest number of chat requests in flight at once (assignable, e.g. to 0). */
  maxConcurrent: number;
  /** Clears requests, queue, maxConcurrent; responder and latency back to their defaults. */
  reset(): void;
  /** Destroys open connections (so hanging requests end) and stops listening. */
  close(): Promise<void>;
}

export const defaultResponder = (req: RecordedRequest): Reply => ({
  text: `Answer: ${req.lastUserMessage.slice(0, 80)}`,
});

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function readJson(req: IncomingMessage): Promise<any> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The function a request forces via tool_choice (function-calling structured output), if any. */
function forcedFunction(body: any): string | undefined {
  const choice = body?.tool_choice;
  if (choice && typeof choice === 'object' && typeof choice.function?.name === 'string') return choice.function.name;
  const tools = Array.isArray(body?.tools) ? body.tools : [];
  if (choice === 'required' && tools.length === 1) return tools[0]?.function?.name;
  return undefined;
}

export async function startOpenAIStandin(opts: { latencyMs?: number } = {}): Promise<OpenAIStandin> {
  const initialLatency = opts.latencyMs ?? 0;
  let latencyMs = initialLatency;
  let queue: Reply[] = [];
  let responder: (req: RecordedRequest) => Reply | Promise<Reply> = defaultResponder;
  let inFlight = 0;
  let seq = 0;
  const sockets = new Set<Socket>();

  const standin = {
    baseURL: '',
    requests: [] as RecordedRequest[],
    embeddingRequests: [] as any[],
    maxConcurrent: 0,
    get inFlight() {
      return inFlight;
    },
    enqueue(...replies: Reply[]) {
      queue.push(...replies);
    },
    setResponder(fn: (req: RecordedRequest) => Reply | Promise<Reply>) {
      responder = fn;
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    reset() {
      standin.requests.length = 0;
      standin.embeddingRequests.length = 0;
      standin.maxConcurrent = 0;
      queue = [];
      responder = defaultResponder;
      latencyMs = initialLatency;
    },
    close: async () => {},
  } satisfies OpenAIStandin;

  /** Turns a content-bearing Reply into wire terms. */
  function toCompletion(reply: Reply, body: any): Completion {
    const promptTokens = estimateTokens(promptChars(body?.messages));
    let content: string | null = null;
    let toolCalls: WireToolCall[] = [];
    let finishReason: Completion['finishReason'] = 'stop';
    const toolCall = (name: string, args: unknown, id?: string): WireToolCall => ({
      id: id ?? `call_standin_${++seq}`,
      type: 'function',
      function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}) },
    });

    if ('toolCalls' in reply) {
      toolCalls = reply.toolCalls.map((tc) => toolCall(tc.name, tc.arguments, tc.id));
    } else if ('json' in reply) {
      const forced = forcedFunction(body);
      if (forced) toolCalls = [toolCall(forced, reply.json)];
      else content = JSON.stringify(reply.json);
    } else if ('raw' in reply) {
      content = reply.raw;
    } else if ('refusal' in reply) {
      content = null;
    } else if ('text' in reply) {
      content = reply.text;
      if ('finishReason' in reply && reply.finishReason) finishReason = reply.finishReason;
    }
    if (toolCalls.length) finishReason = 'tool_calls';

    const outChars =
      (content ?? '').length + toolCalls.reduce((n, tc) => n + tc.function.name.length + tc.function.arguments.length, 0);
    const given = 'usage' in reply ? reply.usage : undefined;
    const usage = given ?? { prompt_tokens: promptTokens, completion_tokens: estimateTokens(outChars, 1) };
    return {
      content,
      ...('refusal' in reply ? { refusal: reply.refusal } : {}),
      toolCalls,
      finishReason,
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    };
  }

  async function handleChat(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let body: any;
    try {
      body = await readJson(req);
    } catch {
      sendJson(res, 400, errorBody({ status: 400, message: 'Could not parse the JSON body of your request.' }));
      return;
    }
    const record: RecordedRequest = {
      path,
      body,
      headers: { ...req.headers },
      startedAt: Date.now(),
      stream: body?.stream === true,
      model: String(body?.model ?? ''),
      lastUserMessage: lastUserMessage(body?.messages),
    };
    standin.requests.push(record);
    inFlight++;
    standin.maxConcurrent = Math.max(standin.maxConcurrent, inFlight);
    const closed = new AbortController();
    res.on('close', () => {
      inFlight--;
      record.endedAt = Date.now();
      record.aborted = !res.writableFinished;
      closed.abort();
    });

    let reply: Reply;
    try {
      reply = queue.shift() ?? (await responder(record));
    } catch (err) {
      reply = { error: { status: 500, type: 'server_error', message: `stand-in responder threw: ${String(err)}` } };
    }
    if ('hang' in reply) return; // res 'close' fires when the client aborts or close() destroys the socket

    await sleep(reply.delayMs ?? latencyMs, closed.signal);
    if (closed.signal.aborted) return;
    const id = `chatcmpl-standin-${++seq}`;
    const model = record.model || 'gpt-4o-mini';
    const headers = { 'x-request-id': `req_standin_${seq}` };

    if ('error' in reply) {
      const { retryAfterSeconds, ...spec } = reply.error;
      record.status = spec.status;
      const extra: Record<string, string> = retryAfterSeconds !== undefined ? { 'retry-after': String(retryAfterSeconds) } : {};
      sendJson(res, spec.status, errorBody(spec), { ...headers, ...extra });
      return;
    }

    const cutAfter = 'cutStreamAfterChunks' in reply ? reply.cutStreamAfterChunks : undefined;
    if (cutAfter !== undefined && !record.stream) {
      res.socket?.destroy();
      return;
    }

    const completion = toCompletion(reply, body);
    record.status = 200;
    if (!record.stream) {
      sendJson(res, 200, completionBody(id, model, completion), headers);
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    const chunks = streamChunks(id, model, completion, body?.stream_options?.include_usage === true);
    if (cutAfter !== undefined) {
      res.write(chunks.slice(0, cutAfter).map(sseData).join(''), () => res.socket?.destroy());
      return;
    }
    const pause = 'chunkDelayMs' in reply ? reply.chunkDelayMs : undefined;
    for (const chunk of chunks) {
      res.write(sseData(chunk));
      if (pause) await sleep(pause, closed.signal);
    }
    res.end(sseDone);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/^\/v1(?=\/)/, '').replace(/\/+$/, '');
    if (req.method === 'POST' && path === '/chat/completions') return handleChat(req, res, url.pathname);
    if (req.method === 'POST' && path === '/embeddings') {
      const body = await readJson(req);
      standin.embeddingRequests.push(body);
      return sendJson(res, 200, embeddingsBody(body));
    }
    if (req.method === 'GET' && path === '/models') return sendJson(res, 200, modelsBody());
    sendJson(res, 404, errorBody({ status: 404, message: `Stand-in has no route ${req.method} ${url.pathname}` }));
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, errorBody({ status: 500, message: String(err) }));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  standin.baseURL = `http://127.0.0.1:${port}/v1`;

  let closing: Promise<void> | undefined;
  standin.close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };
  return standin;
}
