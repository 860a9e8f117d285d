/**
 * Pure builders for the OpenAI wire format used by the stand-in server
 * (openai-standin.ts). Nothing here does I/O.
 *
 * Shapes follow openai@6 `resources/chat/completions` (ChatCompletion,
 * ChatCompletionChunk) and `resources/embeddings` (CreateEmbeddingResponse).
 */

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** What the server decided to answer, already normalised to wire terms. */
export interface Completion {
  content: string | null;
  toolCalls: WireToolCall[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: Usage;
  /** The model declined (structured outputs): `message.refusal` is set and content is null. */
  refusal?: string;
}

export interface ErrorSpec {
  status: number;
  code?: string;
  type?: string;
  message?: string;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------------------
// Token estimates: ~4 characters per token.

export function estimateTokens(chars: number, min = 0): number {
  return Math.max(min, Math.ceil(chars / 4));
}

/** Flattens a chat message's content (string or array of parts) to text. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  return '';
}

/** Total characters of every message (content plus tool-call arguments). */
export function promptChars(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const m of messages) {
    chars += contentText(m?.content).length;
    for (const tc of Array.isArray(m?.tool_calls) ? m.tool_calls : []) {
      chars += String(tc?.function?.name ?? '').length + String(tc?.function?.arguments ?? '').length;
    }
  }
  return chars;
}

export function lastUserMessage(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]?.role === 'user') return contentText(messages[i].content);
  }
  return '';
}

// ---------------------------------------------------------------------------
// Chat completions

export function completionBody(id: string, model: string, c: Completion): object {
  return {
    id,
    object: 'chat.completion',
    created: nowSeconds(),
    model,
    system_fingerprint: 'fp_standin',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: c.content,
          refusal: c.refusal ?? null,
          ...(c.toolCalls.length ? { tool_calls: c.toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: c.finishReason,
      },
    ],
    usage: c.usage,
  };
}

/** Splits text into pieces of a few words each; joining them gives back the text. */
export function splitText(text: string, wordsPerPiece = 3): string[] {
  const words = text.match(/\s*\S+\s*/g);
  if (!words) return text ? [text] : [];
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerPiece) {
    pieces.push(words.slice(i, i + wordsPerPiece).join(''));
  }
  return pieces;
}

function splitEvery(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}

/**
 * The chunk objects of a streamed completion, in order: role chunk, content
 * pieces, tool calls (header then argument pieces), finish chunk, and - when
 * `includeUsage` - a usage chunk with `choices: []`. The `[DONE]` sentinel is
 * not included (see sseDone).
 */
export function streamChunks(id: string, model: string, c: Completion, includeUsage: boolean): object[] {
  const created = nowSeconds();
  const chunk = (choices: object[], extra: object = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: 'fp_standin',
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  const delta = (d: object, finish: string | null = null) =>
    chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

  const chunks: object[] = [];
  chunks.push(delta({ role: 'assistant', content: c.content === null ? null : '', refusal: null }));
  if (c.refusal) chunks.push(delta({ refusal: c.refusal }));
  for (const piece of splitText(c.content ?? '')) chunks.push(delta({ content: piece }));
  c.toolCalls.forEach((tc, index) => {
    chunks.push(delta({ tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } }] }));
    for (const piece of splitEvery(tc.function.arguments, 12)) {
      chunks.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  chunks.push(delta({}, c.finishReason));
  if (includeUsage) chunks.push(chunk([], { usage: c.usage }));
  return chunks;
}

export const sseData = (chunk: object): string => `data: ${JSON.stringify(chunk)}\n\n`;
export const sseDone = 'data: [DONE]\n\n';

// ---------------------------------------------------------------------------
// Errors

const ERROR_DEFAULTS: Record<string, { type: string; message: string }> = {
  rate_limit_exceeded: {
    type: 'requests',
    message: 'Rate limit reached for requests. Please try again in 1s.',
  },
  insufficient_quota: {
    type: 'insufficient_quota',
    message: 'You exceeded your current quota, please check your plan and billing details.',
  },
  context_length_exceeded: {
    type: 'invalid_request_error',
    message: "This model's maximum context length is 128000 tokens. Please reduce the length of the messages.",
  },
  invalid_api_key: {
    type: 'invalid_request_error',
    message: 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
};

const STATUS_DEFAULTS: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: ERROR_DEFAULTS.invalid_api_key!,
  404: { type: 'invalid_request_error', message: 'Not found.' },
  429: ERROR_DEFAULTS.rate_limit_exceeded!,
  500: { type: 'server_error', message: 'The server had an error while processing your request. Sorry about that!' },
  503: { type: 'server_error', message: 'The engine is currently overloaded, please try again later.' },
};

/** `{error: {message, type, code, param: null}}` with sensible defaults per code/status. */
export function errorBody(e: ErrorSpec): object {
  const defaults = (e.code && ERROR_DEFAULTS[e.code]) || STATUS_DEFAULTS[e.status] || {
    type: e.status >= 500 ? 'server_error' : 'invalid_request_error',
    message: `Stand-in error ${e.status}`,
  };
  return {
    error: {
      message: e.message ?? defaults.message,
      type: e.type ?? defaults.type,
      code: e.code ?? null,
      param: null,
    },
  };
}

// ---------------------------------------------------------------------------
// Embeddings: signed hashing of character trigrams, L2-normalised.

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic; texts sharing many trigrams get a high cosine similarity. */
export function embed(text: string, dims = 64): number[] {
  const v = new Array<number>(dims).fill(0);
  const padded = `  ${text.toLowerCase().replace(/\s+/g, ' ').trim()}  `;
  for (let i = 0; i + 3 <= padded.length; i++) {
    const h = fnv1a(padded.slice(i, i + 3));
    v[h % dims]! += h & 0x80000000 ? -1 : 1;
  }
  const norm = Math.hypot(...v);
  if (norm === 0) {
    v[0] = 1;
    return v;
  }
  return v.map((x) => x / norm);
}

/** Accepts the `input` forms of the embeddings API (string | string[] | token arrays). */
export function embeddingInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input)) {
    if (input.every((x) => typeof x === 'number')) return [input.join(' ')];
    return input.map((x) => (typeof x === 'string' ? x : Array.isArray(x) ? x.join(' ') : String(x)));
  }
  return [];
}

export function embeddingsBody(body: any): object {
  const inputs = embeddingInputs(body?.input);
  const dims = Number.isInteger(body?.dimensions) && body.dimensions > 0 ? body.dimensions : 64;
  const base64 = body?.encoding_format === 'base64';
  const promptTokens = inputs.reduce((sum, s) => sum + estimateTokens(s.length, 1), 0);
  return {
    object: 'list',
    data: inputs.map((s, index) => {
      const vector = embed(s, dims);
      return {
        object: 'embedding',
        index,
        // The openai SDK asks for base64 (little-endian float32) unless told otherwise.
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      };
    }),
    model: body?.model ?? 'text-embedding-3-small',
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

export const MODEL_IDS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini', 'gpt-4.1', 'text-embedding-3-small'];

export function modelsBody(): object {
  return {
    object: 'list',
    data: MODEL_IDS.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'openai' })),
  };
}
