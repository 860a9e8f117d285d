import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { ZodType } from 'zod';

/**
 * The one port to language models: chat (plain, streamed, with tools), structured output and embeddings.
 * Messages use LangChain's message classes, the vocabulary the rest of the app already speaks.
 *
 * The `do` prefix (as in vercel/ai's LanguageModelV4) marks the raw calls: nothing outside src/model calls
 * them. Callers use `Models` (models.ts), which meters every call into the run log. Test doubles implement
 * this interface (see tests/support/mock-model.ts), the way vercel/ai's MockLanguageModel does.
 *
 * Implementations throw AppError (classified: MODEL_RATE_LIMITED, MODEL_CONTEXT_OVERFLOW, ...) and never
 * retry: retrying is the caller's policy (agents/retry.ts), and each attempt is its own metered call.
 */
export interface ModelPort {
  doChat(request: ChatRequest): Promise<ChatResponse>;
  doStructured<T>(request: StructuredRequest<T>): Promise<StructuredResponse<T>>;
  doEmbed(request: EmbedRequest): Promise<EmbedResponse>;
}

export interface ModelSettings {
  /** The model asked for; the response names the one that served (it may be a dated snapshot). */
  model: string;
  /** Omitted for reasoning models, which reject a non-default temperature. */
  temperature?: number;
  maxTokens?: number;
  signal?: AbortSignal;
}

/** A tool offered to the model: name, description and a JSON Schema of its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ChatRequest extends ModelSettings {
  messages: BaseMessage[];
  tools?: ToolSpec[];
  /** 'none': tools are described but may not be called (the tool loop's last round). */
  toolChoice?: 'auto' | 'none';
  /** Present: the reply is streamed and each text delta is passed here as it arrives. */
  onToken?: (text: string) => void;
}

/** What every response reports, and what the run log records for it. */
export interface ModelUsage {
  /** The model that served the call. */
  model: string;
  tokensIn: number;
  tokensOut: number;
}

export interface ChatResponse extends ModelUsage {
  /** The assistant message, with tool_calls when the model called tools. */
  message: AIMessageChunk;
  text: string;
  finishReason?: string;
}

export interface StructuredRequest<T> extends ModelSettings {
  messages: BaseMessage[];
  schema: ZodType<T>;
  /** The name of the schema as the model sees it (function or json_schema name). */
  name: string;
}

export interface StructuredResponse<T> extends ModelUsage {
  /** Null when the reply did not parse against the schema; rawText says what came back. */
  parsed: T | null;
  rawText: string;
}

export interface EmbedRequest {
  model: string;
  texts: string[];
  signal?: AbortSignal;
}

export interface EmbedResponse extends ModelUsage {
  vectors: number[][];
}

/** Reasoning models reject a non-default temperature (HTTP 400); same test as @langchain/openai's isReasoningModel. */
export const isReasoningModel = (model: string): boolean => /^o\d/.test(model) || (model.startsWith('gpt-5') && !model.startsWith('gpt-5-chat'));
