import { AppError, asAppError, type ErrorCode } from '../errors.js';
import type { StepKind } from '../store/runs.js';
import type {
  ChatRequest, ChatResponse, EmbedRequest, EmbedResponse, ModelPort, ModelUsage, StructuredRequest, StructuredResponse,
} from './port.js';
import type { RunMeter } from './run-meter.js';

/** Who a model call is for: the run it is charged to, and what kind of step it is in that run. */
export interface MeterTag {
  meter: RunMeter;
  kind: Extract<StepKind, 'model' | 'router' | 'plan' | 'synthesis' | 'embedding' | 'judge' | 'analyst'>;
  /** Task id, analyst name, ... */
  name?: string;
  agentId?: string;
  agentVersion?: number;
  detail?: Record<string, unknown>;
}

/** One finished model call, as metrics and traces see it (told after the run step is recorded). */
export interface ModelCallEvent {
  runId: string;
  kind: MeterTag['kind'];
  /** chat covers structured output too (a chat completion with a schema). */
  operation: 'chat' | 'embeddings';
  requestModel: string;
  /** The model that answered; absent when the call failed. */
  responseModel?: string;
  tokensIn: number;
  tokensOut: number;
  status: 'ok' | 'timeout' | 'cancelled' | 'error';
  errorCode?: ErrorCode;
  /** Epoch milliseconds when the call began. */
  startedAt: number;
  durationMs: number;
  agentId?: string;
  agentVersion?: number;
  finishReason?: string;
}

/** Told of every model call; must not throw (a throw is caught and dropped, the call is unaffected). */
export interface ModelCallObserver {
  modelCall(event: ModelCallEvent): void;
}

/**
 * Every model call the app makes goes through here, whoever makes it — specialists, the router, the planner,
 * spawning, embeddings, analysts, judges. Each call becomes a run step with its model, tokens, cost (null when
 * the model has no price) and latency, success or failure, so the run log is the complete record of model
 * spend that cost reports, budgets and the learning loop read. Null port: no model is configured, and every
 * call fails with MODEL_NOT_CONFIGURED (commands that need no model keep working).
 */
export class Models {
  constructor(private readonly port: ModelPort | null, private readonly observers: readonly ModelCallObserver[] = []) {}

  get configured(): boolean {
    return this.port !== null;
  }

  chat(request: ChatRequest, tag: MeterTag): Promise<ChatResponse> {
    return this.metered(tag, 'chat', request.model, (port) => port.doChat(request), (r) => ({
      ...(r.finishReason ? { finishReason: r.finishReason } : {}),
      ...(request.tools?.length ? { tools: request.tools.length, toolCalls: r.message.tool_calls?.length ?? 0 } : {}),
      ...(request.onToken ? { streamed: true } : {}),
    }));
  }

  structured<T>(request: StructuredRequest<T>, tag: MeterTag): Promise<StructuredResponse<T>> {
    return this.metered(tag, 'chat', request.model, (port) => port.doStructured(request), (r) => (r.parsed === null ? { parsed: false } : {}));
  }

  embed(request: EmbedRequest, tag: MeterTag): Promise<EmbedResponse> {
    return this.metered(tag, 'embeddings', request.model, (port) => port.doEmbed(request), () => ({ texts: request.texts.length }));
  }

  private async metered<R extends ModelUsage>(tag: MeterTag, operation: ModelCallEvent['operation'], model: string,
    call: (port: ModelPort) => Promise<R>, detail: (response: R) => Record<string, unknown>): Promise<R> {
    if (!this.port) throw new AppError('MODEL_NOT_CONFIGURED', 'no model endpoint configured (OPENAI_API_KEY / OPENAI_BASE_URL)');
    tag.meter.checkLimit();
    const startedAt = Date.now();
    const started = performance.now();
    const event = (fields: Pick<ModelCallEvent, 'tokensIn' | 'tokensOut' | 'status'> & Partial<ModelCallEvent>): ModelCallEvent => ({
      runId: tag.meter.runId, kind: tag.kind, operation, requestModel: model, startedAt, durationMs: performance.now() - started,
      ...(tag.agentId ? { agentId: tag.agentId } : {}), ...(tag.agentVersion !== undefined ? { agentVersion: tag.agentVersion } : {}), ...fields,
    });
    const base = { kind: tag.kind, ...(tag.name ? { name: tag.name } : {}), ...(tag.agentId ? { agentId: tag.agentId } : {}),
      ...(tag.agentVersion !== undefined ? { agentVersion: tag.agentVersion } : {}) };
    let response: R;
    try {
      response = await call(this.port);
    } catch (raw) {
      const error = asAppError(raw);
      // Which model failed: the error knowledge base keys recoveries on it.
      error.details.model ??= model;
      const failed = event({ tokensIn: 0, tokensOut: 0, status: stepStatusFor(error.code), errorCode: error.code });
      await tag.meter.record({
        ...base, model, tokensIn: 0, tokensOut: 0, status: failed.status, errorClass: error.code,
        latencyMs: failed.durationMs, detail: { ...tag.detail, message: error.message.slice(0, 300) },
      });
      this.tell(failed);
      throw error;
    }
    const finishReason = (response as Partial<ChatResponse>).finishReason;
    const done = event({ responseModel: response.model, tokensIn: response.tokensIn, tokensOut: response.tokensOut, status: 'ok',
      ...(finishReason ? { finishReason } : {}) });
    await tag.meter.record({
      ...base, model: response.model, tokensIn: response.tokensIn, tokensOut: response.tokensOut, status: 'ok',
      latencyMs: done.durationMs, detail: { ...tag.detail, ...detail(response) },
    });
    this.tell(done);
    return response;
  }

  /** Metrics and traces must never cost an answer: an observer's failure is dropped. */
  private tell(event: ModelCallEvent): void {
    for (const observer of this.observers) {
      try {
        observer.modelCall(event);
      } catch {
        // Dropped on purpose: see above.
      }
    }
  }
}

function stepStatusFor(code: ErrorCode): 'timeout' | 'cancelled' | 'error' {
  return code === 'MODEL_TIMEOUT' ? 'timeout' : code === 'CANCELLED' ? 'cancelled' : 'error';
}
