import { classifyModelError, userMessageFor } from '../model/model-errors.js';
import { AppError, asAppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import { withRun } from '../ops/run-context.js';
import type { AdmissionControl } from '../limits/request-gate.js';
import type { RunLog } from '../runlog/run-log.js';
import { sanitizeAnswer } from '../safety/output-safety.js';
import { servingRecord, type ServingDecider, type ServingDecision, type ServingRequest } from '../serving/serving.js';
import { unitKeyOf, type HandleOutcome, type RequestContext } from './context.js';
import type { AnswerAdjustments, DirectAnswer, DirectResult } from './direct-answer.js';
import { guardInput } from './history.js';
import { helpText } from '../text/help.js';

/** A message that only asks for help (after the mention is stripped). */
const HELP_REQUEST = /^\s*(help|\?|what can you do\??|how do i use (you|this)\??)\s*[.!]*\s*$/i;
import type { AnswerStream, IncomingMessage, Surface } from '../surface/surface.js';

export type { HandleOutcome, RequestContext } from './context.js';
export type { AgentSource } from './direct-answer.js';

/** Saved/induced workflows and goals: answers with a task graph, or null when the goal cannot be planned. */
export interface PlanPath {
  answer(ctx: RequestContext, decision: ServingDecision): Promise<HandleOutcome | null>;
}

/** A known recovery for a failure, tried once before the user is told (the error knowledge base). */
export interface FailureRecovery {
  planFor(ctx: RequestContext, decision: ServingDecision, error: AppError): Promise<RecoveryPlan | null>;
  /** Whether the retry worked, so the knowledge base keeps each strategy's success rate. */
  settle(plan: RecoveryPlan, succeeded: boolean, ctx: RequestContext): Promise<void>;
}

export interface RecoveryPlan {
  strategy: string;
  signature: string;
  adjust: AnswerAdjustments;
  /** Shown while the retry runs, e.g. "That was too long for the model; trying again with less context…". */
  status: string;
}

/** Sees every request before it is served (outcomes: a follow-up that corrects the previous answer). */
export interface RequestObserver {
  onRequest(ctx: RequestContext): Promise<unknown>;
}

export interface OrchestratorDeps {
  runLog: RunLog;
  observers?: RequestObserver[];
  serving: ServingDecider;
  direct: DirectAnswer;
  logger: Logger;
  plans?: PlanPath;
  recovery?: FailureRecovery;
  /** Per-person and per-channel limits (src/limits), asked once a message is claimed. Absent: none. */
  limits?: AdmissionControl;
}

export interface OrchestratorOptions {
  /** False when no model endpoint is configured: requests get an explanation instead of an answer. */
  modelConfigured: boolean;
  requestTimeoutMs: number;
  maxInputChars: number;
  botUserId?: string;
  /** LEARNING_ENABLED: what the help answer may promise. */
  learning?: boolean;
  now?: () => number;
}

/**
 * Handles one message end to end: exactly-once claim in the run log, input guard, the serving decision
 * (recorded on the run), then a task graph or one specialist, and the run record — on success and on every
 * failure. Surface-neutral: Slack and the console share every line of it.
 */
export class Orchestrator {
  private readonly inFlight = new Map<string, Promise<HandleOutcome>>();
  private accepting = true;
  private readonly now: () => number;

  constructor(private readonly deps: OrchestratorDeps, private readonly options: OrchestratorOptions) {
    this.now = options.now ?? Date.now;
  }

  get activeRuns(): number {
    return this.inFlight.size;
  }

  async handle(message: IncomingMessage, surface: Surface): Promise<HandleOutcome> {
    if (!this.accepting) {
      await surface.notify('I am restarting right now. Please send that again in a few seconds.');
      return { kind: 'refused', reason: 'shutting down' };
    }
    const started = this.now();
    let claim: Awaited<ReturnType<RunLog['start']>>;
    try {
      claim = await this.deps.runLog.start({
        workspaceId: message.workspaceId, surface: message.surface, userId: message.userId, requestText: message.text.slice(0, 4000),
        ...(message.eventId ? { eventId: message.eventId } : {}), ...(message.channelId ? { channelId: message.channelId } : {}),
        ...(message.messageTs ? { messageTs: message.messageTs } : {}), ...(message.threadTs ? { threadTs: message.threadTs } : {}),
        leaseSeconds: Math.ceil(this.options.requestTimeoutMs / 1000) + 60,
      });
    } catch (raw) {
      // No run could be started (the database refused the request, or it is down and the journal cannot take it):
      // without a run there is no exactly-once guarantee and no record, so say what happened rather than go silent.
      const error = asAppError(raw);
      this.deps.logger.error({ err: error, code: error.code, details: error.details }, 'run not started; request not handled');
      await surface.notify(userMessageFor(error));
      return { kind: 'failed', errorCode: error.code };
    }
    const { run, claimed } = claim;
    if (!claimed) return { kind: 'duplicate', runId: run.id };
    const logger = this.deps.logger.child({ runId: run.id });
    const work = withRun(run.id, () => this.admitted(run.id, message, surface, logger, started)).finally(() => this.inFlight.delete(run.id));
    this.inFlight.set(run.id, work);
    return work;
  }

  /**
   * Stops taking work, waits up to graceMs for in-flight runs, then records the rest as interrupted.
   * Their Slack retries (or the user) can then start them again.
   */
  async drain(graceMs: number): Promise<{ finished: number; interrupted: number }> {
    this.accepting = false;
    const pending = [...this.inFlight.entries()];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), graceMs); });
    await Promise.race([Promise.allSettled(pending.map(([, p]) => p)), timeout]);
    clearTimeout(timer);
    const left = [...this.inFlight.keys()];
    await Promise.allSettled(left.map((runId) => this.deps.runLog.finish(runId, {
      status: 'interrupted', errorClass: 'SHUTTING_DOWN', errorMessage: 'process stopped before the run finished',
    })));
    return { finished: pending.length - left.length, interrupted: left.length };
  }

  /**
   * After the claim (a Slack retry is a duplicate, never counted): the person's and channel's limits, then the
   * answer in one of the person's slots. A refusal is recorded as a refused run; only the first one of a window
   * is told, so a burst gets one message, not one per request.
   */
  private async admitted(runId: string, message: IncomingMessage, surface: Surface, logger: Logger, started: number): Promise<HandleOutcome> {
    const admission = this.deps.limits
      ? await this.deps.limits.enter(message, { onQueued: (ahead) => { void surface.setStatus(`In line — ${ahead} of your requests ahead of this one…`); } })
      : undefined;
    if (admission && !admission.ok) {
      const { error } = admission;
      logger.info({ code: error.code, ...error.details, told: admission.tell }, 'request refused by a limit');
      if (admission.tell) await surface.notify(userMessageFor(error));
      await this.deps.runLog.finish(runId, { status: 'refused', errorClass: error.code, errorMessage: error.message, latencyMs: this.now() - started })
        .catch((e: unknown) => logger.error({ err: e }, 'could not record the refused run'));
      return { kind: 'refused', runId, reason: error.code };
    }
    try {
      return await this.answer(runId, message, surface, logger, started);
    } finally {
      admission?.release();
    }
  }

  private async answer(runId: string, message: IncomingMessage, surface: Surface, logger: Logger, started: number): Promise<HandleOutcome> {
    const input = guardInput(message.text, this.options.maxInputChars);
    if (input.text.length === 0) {
      await surface.notify('I got an empty message. Ask me a question, or give me a goal to plan.');
      await this.deps.runLog.finish(runId, { status: 'refused', errorClass: 'INPUT_INVALID', errorMessage: 'empty message' });
      return { kind: 'refused', runId, reason: 'empty message' };
    }
    // "help" said to the bot is answered from what the code knows, with no model (it works before one is configured).
    if (HELP_REQUEST.test(input.text)) {
      const text = helpText({ learning: this.options.learning ?? false });
      await surface.notify(text);
      await this.deps.runLog.finish(runId, { status: 'succeeded', route: 'help', routeReason: 'a request for help, answered without a model', latencyMs: Date.now() - started });
      return { kind: 'answered', runId, delivered: true, text };
    }
    if (!this.options.modelConfigured) {
      const error = new AppError('MODEL_NOT_CONFIGURED', 'no model endpoint configured');
      await surface.notify(userMessageFor(error));
      await this.deps.runLog.finish(runId, { status: 'refused', errorClass: error.code, errorMessage: error.message });
      return { kind: 'refused', runId, reason: error.code };
    }
    let ctx: RequestContext | undefined;
    let decision: ServingDecision | undefined;
    try {
      ctx = await this.openContext(runId, message, input, surface, logger, started);
      for (const observer of this.deps.observers ?? []) await observer.onRequest(ctx).catch((error: unknown) => logger.warn({ err: error }, 'request observer failed'));
      decision = await this.decide(ctx, 'any');
      if (decision.kind === 'cache') return await this.deps.direct.fromCache(ctx, decision);
      if (decision.kind !== 'direct') {
        const planned = await this.deps.plans?.answer(ctx, decision);
        if (planned) return planned;
        decision = await this.decide(ctx, 'direct');
      }
      const result = await this.answerDirectly(ctx, decision);
      if (result.ok) return result.outcome;
      return await this.fail({ runId, surface, logger, started }, decision, result.error, result.openAnswer);
    } catch (raw) {
      return this.fail({ runId, surface, logger, started }, decision, raw);
    }
  }

  /** Loads the conversation (after the claim, so duplicates cost no API call) and the safety rules for it. */
  private async openContext(runId: string, message: IncomingMessage, input: { text: string; cut: boolean }, surface: Surface,
    logger: Logger, started: number): Promise<RequestContext> {
    // Awaited, though the surface would let the work start at once (the answer waits for the status and replaces it):
    // not waiting saves a Slack round trip per answer, but in bench:overhead it packs the burst's database and model
    // work together and the ack p99 at 30 concurrent rose from 32–44 ms to 50–59 ms (docs/PERFORMANCE.md).
    await surface.setStatus('Thinking…');
    const conversation = message.loadContext
      ? await message.loadContext()
      : { history: message.history ?? [], participants: message.participants ?? [message.userId] };
    const safety = {
      inputText: [input.text, ...conversation.history.map((h) => h.text)].join('\n'),
      participants: conversation.participants,
      ...(this.options.botUserId ? { botUserId: this.options.botUserId } : {}),
    };
    return {
      runId, text: input.text, inputCut: input.cut, surface, logger, started,
      message: { ...message, history: conversation.history, participants: conversation.participants },
      meter: this.deps.runLog.meter(runId, logger),
      // MODEL_TIMEOUT_MS is for the model work: it counts from here, after any wait in the person's line (bounded on
      // its own by QUEUE_MAX_WAIT_SECONDS), not from the claim — else a request that waited is failed as a timeout.
      deadline: this.now() + this.options.requestTimeoutMs,
      unitKey: unitKeyOf(message),
      sanitize: (text) => sanitizeAnswer(text, safety).text,
    };
  }

  /** The one serving decision of the request, recorded on the run before anything runs. */
  private async decide(ctx: RequestContext, scope: 'any' | 'direct'): Promise<ServingDecision> {
    const request: ServingRequest = {
      workspaceId: ctx.message.workspaceId, userId: ctx.message.userId, text: ctx.text, unitKey: ctx.unitKey, deadline: ctx.deadline, meter: ctx.meter,
      ...(ctx.message.channelId && ctx.message.threadTs && ctx.message.threadTs !== ctx.message.messageTs
        ? { thread: { channelId: ctx.message.channelId, threadTs: ctx.message.threadTs } } : {}),
    };
    const decision = scope === 'direct' ? await this.deps.serving.decideDirect(request) : await this.deps.serving.decide(request);
    await this.deps.runLog.recordServing(ctx.runId, servingRecord(decision));
    ctx.logger.info({ kind: decision.kind, route: decision.route, agent: decision.agent, workflow: decision.workflow?.name,
      experiment: decision.experiment, reason: decision.reason }, 'serving decision');
    return decision;
  }

  /** One specialist; when it fails with an error the knowledge base knows a recovery for, that recovery is tried once. */
  private async answerDirectly(ctx: RequestContext, decision: ServingDecision): Promise<DirectResult> {
    const first = await this.deps.direct.answer(ctx, decision);
    if (first.ok) return first;
    const error = toAppError(first.error);
    const plan = this.deps.recovery ? await this.deps.recovery.planFor(ctx, decision, error).catch(() => null) : null;
    if (!plan) return first;
    ctx.logger.info({ code: error.code, strategy: plan.strategy }, 'applying a known recovery');
    if (first.openAnswer) await first.openAnswer.abort(`_${plan.status}_`);
    else await ctx.surface.setStatus(plan.status);
    const second = await this.deps.direct.answer(ctx, decision, plan.adjust);
    await this.deps.runLog.step(ctx.runId, {
      kind: 'recovery', name: plan.strategy, status: second.ok ? 'ok' : 'error', errorClass: error.code,
      detail: { signature: plan.signature, ...(second.ok ? {} : { then: toAppError(second.error).code }) },
    }).catch(() => {});
    await this.deps.recovery!.settle(plan, second.ok, ctx).catch((e: unknown) => ctx.logger.warn({ err: e }, 'recovery outcome not recorded'));
    return second;
  }

  /** Tells the user what happened (closing an answer already open) and records the failed run. */
  private async fail(ctx: { runId: string; surface: Surface; logger: Logger; started: number }, decision: ServingDecision | undefined,
    raw: unknown, openAnswer?: AnswerStream): Promise<HandleOutcome> {
    const error = toAppError(raw);
    ctx.logger.warn({ err: error, code: error.code, cause: (error.cause as Error | undefined)?.message }, 'request failed');
    const text = userMessageFor(error);
    if (openAnswer) await openAnswer.abort(text);
    else await ctx.surface.notify(text);
    const refused = error.code === 'AGENT_BUSY' || error.code === 'SPAWN_LIMITED' || error.code === 'BUDGET_EXCEEDED' || error.code === 'RATE_LIMITED';
    await this.deps.runLog.finish(ctx.runId, {
      status: refused ? 'refused' : 'failed', errorClass: error.code, errorMessage: error.message,
      latencyMs: this.now() - ctx.started, ...(decision ? { route: decision.route, routeReason: decision.reason } : {}),
      ...(decision?.agent ? { agentIds: [decision.agent.agentId] } : {}),
    }).catch((e: unknown) => ctx.logger.error({ err: e }, 'could not record the failed run'));
    return refused ? { kind: 'refused', runId: ctx.runId, reason: error.code } : { kind: 'failed', runId: ctx.runId, errorCode: error.code };
  }
}

/** Errors from the model port are AppErrors already; anything else from a model library is classified; the rest is INTERNAL. */
function toAppError(raw: unknown): AppError {
  if (raw instanceof AppError && !raw.code.startsWith('INTERNAL')) return raw;
  const classified = classifyModelError(raw);
  return classified.code.startsWith('MODEL_') ? classified : asAppError(raw);
}
