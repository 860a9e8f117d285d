import { AIMessageChunk } from '@langchain/core/messages';
import { ModelCatalogue } from '../../src/config/models.js';
import { LangChainModelPort } from '../../src/model/langchain-port.js';
import { Models } from '../../src/model/models.js';
import type {
  ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ModelPort, StructuredRequest, StructuredResponse,
} from '../../src/model/port.js';
import { RunMeter } from '../../src/model/run-meter.js';
import type { ModelStepInput } from '../../src/store/runs.js';

/** The real adapter pointed at the OpenAI stand-in: requests cross the wire. */
export function standinModels(baseURL: string): Models {
  return new Models(new LangChainModelPort({ apiKey: 'sk-test', baseUrl: baseURL }));
}

/** A meter that keeps its steps in memory, priced from the built-in catalogue. */
export function memoryMeter(runId = 'run-test'): RunMeter & { steps: Array<ModelStepInput & { costUsd: number | null }> } {
  const catalogue = new ModelCatalogue();
  const steps: Array<ModelStepInput & { costUsd: number | null }> = [];
  const sink = {
    costOf: (model: string, tokensIn: number, tokensOut: number) => (tokensIn + tokensOut === 0 ? 0 : catalogue.costOf(model, tokensIn, tokensOut)),
    modelStep: async (_runId: string, step: ModelStepInput) => { steps.push({ ...step, costUsd: sink.costOf(step.model, step.tokensIn, step.tokensOut) }); },
  };
  return Object.assign(new RunMeter(runId, sink), { steps });
}

type Handler<Req, Res> = Res | Res[] | ((request: Req) => Res | Promise<Res>);

/**
 * A model port double, as vercel/ai's MockLanguageModel: each method takes a result, a list (consumed in order)
 * or a function, records its calls, and throws for anything it was not given.
 */
export class MockModelPort implements ModelPort {
  readonly calls: { chat: ChatRequest[]; structured: Array<StructuredRequest<unknown>>; embed: EmbedRequest[] } = { chat: [], structured: [], embed: [] };

  constructor(private readonly handlers: {
    chat?: Handler<ChatRequest, Partial<ChatResponse> & { text: string }>;
    structured?: Handler<StructuredRequest<unknown>, { parsed: unknown; rawText?: string; tokensIn?: number; tokensOut?: number }>;
    embed?: Handler<EmbedRequest, EmbedResponse>;
  } = {}) {}

  async doChat(request: ChatRequest): Promise<ChatResponse> {
    this.calls.chat.push(request);
    const reply = await next(this.handlers.chat, request, 'chat');
    request.onToken?.(reply.text);
    return {
      message: reply.message ?? new AIMessageChunk({ content: reply.text }), model: reply.model ?? request.model,
      tokensIn: reply.tokensIn ?? 10, tokensOut: reply.tokensOut ?? 5, ...reply,
    } as ChatResponse;
  }

  async doStructured<T>(request: StructuredRequest<T>): Promise<StructuredResponse<T>> {
    this.calls.structured.push(request as StructuredRequest<unknown>);
    const reply = await next(this.handlers.structured, request as StructuredRequest<unknown>, 'structured');
    return { parsed: reply.parsed as T, rawText: reply.rawText ?? JSON.stringify(reply.parsed), model: request.model, tokensIn: reply.tokensIn ?? 10, tokensOut: reply.tokensOut ?? 5 };
  }

  async doEmbed(request: EmbedRequest): Promise<EmbedResponse> {
    this.calls.embed.push(request);
    return next(this.handlers.embed, request, 'embed');
  }
}

async function next<Req, Res>(handler: Handler<Req, Res> | undefined, request: Req, name: string): Promise<Res> {
  if (handler === undefined) throw new Error(`MockModelPort: no ${name} response was given`);
  if (typeof handler === 'function') return (handler as (r: Req) => Res | Promise<Res>)(request);
  if (Array.isArray(handler)) {
    const reply = handler.shift();
    if (reply === undefined) throw new Error(`MockModelPort: no ${name} responses left`);
    return reply;
  }
  return handler;
}
