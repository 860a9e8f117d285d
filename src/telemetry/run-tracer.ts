import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE, ATTR_GEN_AI_AGENT_ID, ATTR_GEN_AI_AGENT_VERSION, ATTR_GEN_AI_CONVERSATION_ID, ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME, ATTR_GEN_AI_REQUEST_MODEL, ATTR_GEN_AI_RESPONSE_FINISH_REASONS, ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_SYSTEM, ATTR_GEN_AI_TOOL_CALL_ID, ATTR_GEN_AI_TOOL_NAME, ATTR_GEN_AI_TOOL_TYPE, ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL, GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
} from '@opentelemetry/semantic-conventions/incubating';
import { LRUCache } from 'lru-cache';
import type { ModelCallEvent, ModelCallObserver } from '../model/models.js';
import type { RunEnd, RunObserver } from '../runlog/run-log.js';
import type { Run } from '../store/runs.js';
import type { ToolCallEvent, ToolCallObserver } from '../tools/executor.js';

/** On every span, so a backend can gather a run's spans even when one has no parent here. */
export const ATTR_RUN_ID = 'run.id';

/** Runs in flight whose span is open; past this (runs that never finished) the oldest span is ended as unfinished. */
const OPEN_RUNS_MAX = 10_000;

/**
 * A run's timeline as OpenTelemetry spans: a root span "run" from the claim to the finish (the run log's
 * start/finish hooks), a child span per model call (GenAI semantic conventions: operation, models, token
 * usage) and per tool call. Parents are found by run id — every model call carries its run's meter, every
 * tool call its run's context — so nothing depends on async context propagation and no global tracer
 * provider is registered (two apps in one process, as in the tests, trace separately).
 */
export class RunTracer implements RunObserver, ModelCallObserver, ToolCallObserver {
  private readonly open: LRUCache<string, Span>;

  constructor(private readonly tracer: Tracer) {
    this.open = new LRUCache<string, Span>({
      max: OPEN_RUNS_MAX,
      dispose: (span, _runId, reason) => {
        if (reason === 'evict') span.setAttribute('run.unfinished', true).end();
      },
    });
  }

  runStarted(run: Run): void {
    // A retried delivery that takes over an abandoned run starts a new span; the old one ends as unfinished.
    this.endUnfinished(run.id);
    const attributes: Attributes = { [ATTR_RUN_ID]: run.id, 'run.surface': run.surface, 'run.kind': run.kind };
    if (run.channelId && run.threadTs) attributes[ATTR_GEN_AI_CONVERSATION_ID] = `${run.channelId}:${run.threadTs}`;
    this.open.set(run.id, this.tracer.startSpan('run', { kind: SpanKind.SERVER, attributes, root: true }, ROOT_CONTEXT));
  }

  runFinished(end: RunEnd): void {
    const now = Date.now();
    let span = this.open.get(end.runId);
    this.open.delete(end.runId);
    // Finished here but started elsewhere (a goal resumed after a restart): the span covers the run's known life.
    span ??= this.tracer.startSpan('run', {
      kind: SpanKind.SERVER, root: true, attributes: { [ATTR_RUN_ID]: end.runId },
      startTime: end.latencyMs !== null ? now - end.latencyMs : end.startedAt ?? now,
    }, ROOT_CONTEXT);
    span.setAttributes({
      'run.outcome': end.status, 'run.route': end.route ?? 'none',
      ...(end.agentId ? { 'run.agent': end.agentId, [ATTR_GEN_AI_AGENT_ID]: end.agentId } : {}),
      ...(end.errorClass ? { [ATTR_ERROR_TYPE]: end.errorClass } : {}),
      ...(end.recorded ? {} : { 'run.recorded': false }),
    });
    if (end.status === 'failed' || end.status === 'interrupted') span.setStatus({ code: SpanStatusCode.ERROR, message: end.errorClass ?? end.status });
    else if (end.status === 'succeeded') span.setStatus({ code: SpanStatusCode.OK });
    span.end(now);
  }

  modelCall(event: ModelCallEvent): void {
    const operation = event.operation;
    const attributes: Attributes = {
      [ATTR_RUN_ID]: event.runId,
      [ATTR_GEN_AI_OPERATION_NAME]: operation,
      // Every model is reached through an OpenAI-compatible API; gen_ai.system is the older name some backends still read.
      [ATTR_GEN_AI_PROVIDER_NAME]: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
      [ATTR_GEN_AI_SYSTEM]: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
      [ATTR_GEN_AI_REQUEST_MODEL]: event.requestModel,
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: event.tokensIn,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: event.tokensOut,
      'improver.step.kind': event.kind,
    };
    if (event.responseModel) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = event.responseModel;
    if (event.finishReason) attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = [event.finishReason];
    if (event.agentId) attributes[ATTR_GEN_AI_AGENT_ID] = event.agentId;
    if (event.agentVersion !== undefined) attributes[ATTR_GEN_AI_AGENT_VERSION] = String(event.agentVersion);
    if (event.errorCode) attributes[ATTR_ERROR_TYPE] = event.errorCode;
    // Span name as the conventions give it: "{operation} {model}".
    const span = this.tracer.startSpan(`${operation} ${event.requestModel}`, { kind: SpanKind.CLIENT, attributes, startTime: event.startedAt },
      this.parentOf(event.runId));
    if (event.status !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: event.errorCode ?? event.status });
    span.end(event.startedAt + event.durationMs);
  }

  toolCall(event: ToolCallEvent): void {
    if (!event.runId) return; // outside a run there is no timeline to put it on
    const attributes: Attributes = {
      [ATTR_RUN_ID]: event.runId,
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
      [ATTR_GEN_AI_TOOL_NAME]: event.tool,
      [ATTR_GEN_AI_TOOL_CALL_ID]: event.callId,
      // MCP tools run on another server ("extension"); built-in ones are functions of this process.
      [ATTR_GEN_AI_TOOL_TYPE]: event.server ? 'extension' : 'function',
      'improver.tool.status': event.status,
      'improver.tool.approval_wait_ms': event.approvalWaitMs,
    };
    if (event.server) attributes['improver.tool.server'] = event.server;
    if (event.errorClass) attributes[ATTR_ERROR_TYPE] = event.errorClass;
    const span = this.tracer.startSpan(`${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${event.tool}`,
      { kind: SpanKind.INTERNAL, attributes, startTime: event.startedAt }, this.parentOf(event.runId));
    if (event.status !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: event.errorClass ?? event.status });
    span.end(event.startedAt + event.approvalWaitMs + event.latencyMs);
  }

  /** Ends the spans of runs still open (shutdown: drain has finished every run it could). */
  endAll(): void {
    for (const runId of [...this.open.keys()]) this.endUnfinished(runId);
  }

  private endUnfinished(runId: string): void {
    const span = this.open.get(runId);
    if (!span) return;
    this.open.delete(runId);
    span.setAttribute('run.unfinished', true).end();
  }

  private parentOf(runId: string) {
    const run = this.open.get(runId);
    return run ? trace.setSpan(ROOT_CONTEXT, run) : ROOT_CONTEXT;
  }
}
