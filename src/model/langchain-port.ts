import type { AIMessageChunk, BaseMessage, MessageContent } from '@langchain/core/messages';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { LRUCache } from 'lru-cache';
import { classifyModelError } from './model-errors.js';
import { AppError } from '../errors.js';
import {
  isReasoningModel, type ChatRequest, type ChatResponse, type EmbedRequest, type EmbedResponse, type ModelPort,
  type StructuredRequest, type StructuredResponse,
} from './port.js';

/** Where the OpenAI-compatible API lives (Config.model.endpoint). */
export interface ModelEndpoint {
  apiKey: string;
  baseUrl?: string;
}

/**
 * The model port on LangChain's ChatOpenAI and OpenAIEmbeddings, for any endpoint that speaks the OpenAI
 * wire protocol (OpenAI, Azure OpenAI, Ollama, LM Studio, vLLM). LangChain's own retries are off
 * (maxRetries: 0): they would ignore our deadlines and retry inside each of our attempts. Clients are
 * cached per (model, temperature, max tokens): building one is cheap but not free, and a handful of
 * combinations serve every request.
 */
export class LangChainModelPort implements ModelPort {
  private readonly chats = new LRUCache<string, ChatOpenAI>({ max: 200 });
  private readonly embedders = new LRUCache<string, UsageEmbeddings>({ max: 20 });

  constructor(private readonly endpoint: ModelEndpoint) {}

  async doChat(request: ChatRequest): Promise<ChatResponse> {
    const chat = this.chat(request.model, request.temperature, request.maxTokens);
    const model = request.tools?.length
      ? chat.bindTools(request.tools.map((t) => ({ type: 'function' as const, function: t })),
        request.toolChoice === 'none' ? { tool_choice: 'none' } : {})
      : chat;
    const options = request.signal ? { signal: request.signal } : {};
    let message: AIMessageChunk;
    try {
      message = request.onToken ? await streamed(model, request.messages, options, request.onToken, request.signal) : await model.invoke(request.messages, options);
    } catch (error) {
      throw this.classify(error);
    }
    const meta = message.response_metadata as { model_name?: unknown; finish_reason?: unknown } | undefined;
    return {
      message,
      text: textOf(message.content),
      model: servedModel(meta?.model_name, request.model),
      tokensIn: message.usage_metadata?.input_tokens ?? 0,
      tokensOut: message.usage_metadata?.output_tokens ?? 0,
      ...(typeof meta?.finish_reason === 'string' ? { finishReason: meta.finish_reason } : {}),
    };
  }

  async doStructured<T>(request: StructuredRequest<T>): Promise<StructuredResponse<T>> {
    const structured = this.chat(request.model, request.temperature, request.maxTokens)
      .withStructuredOutput(request.schema as never, { name: request.name, includeRaw: true });
    let reply: { raw: BaseMessage; parsed: unknown };
    try {
      reply = await structured.invoke(request.messages, request.signal ? { signal: request.signal } : {}) as { raw: BaseMessage; parsed: unknown };
    } catch (error) {
      // In json_schema mode the OpenAI SDK parses inside the call: bad JSON surfaces here as MODEL_BAD_OUTPUT.
      throw this.classify(error);
    }
    const raw = reply.raw as AIMessageChunk;
    const meta = raw.response_metadata as { model_name?: unknown } | undefined;
    const parsed = request.schema.safeParse(reply.parsed);
    return {
      parsed: parsed.success ? parsed.data : null,
      rawText: rawTextOf(raw),
      model: servedModel(meta?.model_name, request.model),
      tokensIn: raw.usage_metadata?.input_tokens ?? 0,
      tokensOut: raw.usage_metadata?.output_tokens ?? 0,
    };
  }

  async doEmbed(request: EmbedRequest): Promise<EmbedResponse> {
    let embedder = this.embedders.get(request.model);
    if (!embedder) {
      embedder = new UsageEmbeddings({
        model: request.model, apiKey: this.endpoint.apiKey, maxRetries: 0,
        ...(this.endpoint.baseUrl ? { configuration: { baseURL: this.endpoint.baseUrl } } : {}),
      });
      this.embedders.set(request.model, embedder);
    }
    try {
      return await embedder.embedWithUsage(request.texts, request.model);
    } catch (error) {
      throw this.classify(error);
    }
  }

  /** Errors carry the configured host, so "can't reach the model server at <host>" names the right one. */
  private classify(error: unknown) {
    return classifyModelError(error, this.endpoint.baseUrl ? { baseUrl: this.endpoint.baseUrl } : {});
  }

  private chat(model: string, temperature: number | undefined, maxTokens: number | undefined): ChatOpenAI {
    const key = `${model}|${temperature ?? ''}|${maxTokens ?? ''}`;
    let chat = this.chats.get(key);
    if (!chat) {
      chat = new ChatOpenAI({
        model,
        apiKey: this.endpoint.apiKey,
        ...(temperature !== undefined && !isReasoningModel(model) ? { temperature } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
        maxRetries: 0,
        streamUsage: true,
        configuration: this.endpoint.baseUrl ? { baseURL: this.endpoint.baseUrl } : {},
      });
      this.chats.set(key, chat);
    }
    return chat;
  }
}

/**
 * OpenAIEmbeddings returns vectors only; the API's response also carries the tokens used, which the run
 * log needs to price the call. embeddingWithRetry is LangChain's documented extension point for this.
 */
class UsageEmbeddings extends OpenAIEmbeddings {
  async embedWithUsage(texts: string[], model: string): Promise<EmbedResponse> {
    const response = await this.embeddingWithRetry({ model, input: texts });
    const vectors = [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding as number[]);
    return { vectors, model: servedModel(response.model, model), tokensIn: response.usage?.prompt_tokens ?? 0, tokensOut: 0 };
  }
}

type Streamable = Pick<ChatOpenAI, 'stream'>;

async function streamed(model: Streamable, messages: BaseMessage[], options: { signal?: AbortSignal }, onToken: (t: string) => void,
  signal: AbortSignal | undefined): Promise<AIMessageChunk> {
  let acc: AIMessageChunk | undefined;
  for await (const chunk of await model.stream(messages, options)) {
    // Once the call is aborted (deadline, cancel) a late chunk must not reach the user.
    if (signal?.aborted) break;
    acc = acc ? acc.concat(chunk) : chunk;
    const text = textOf(chunk.content);
    if (text) onToken(text);
  }
  if (!acc) throw new AppError('MODEL_SERVER_ERROR', 'the model stream ended without any data', { retryable: true });
  return acc;
}

/** The served model (a dated snapshot, which the price catalogue resolves) over the requested one. */
function servedModel(name: unknown, requested: string): string {
  return typeof name === 'string' && name !== '' ? name : requested;
}

/** The text of a message's content, whether a plain string or a list of content blocks. */
export function textOf(content: MessageContent): string {
  if (typeof content === 'string') return content;
  return content.map((block) => (block.type === 'text' && typeof block.text === 'string' ? block.text : '')).join('');
}

/** Content of a json_schema reply, or the arguments of a forced function call. */
function rawTextOf(message: AIMessageChunk): string {
  const call = message.tool_calls?.[0];
  if (call?.args !== undefined) return JSON.stringify(call.args);
  return textOf(message.content);
}
