import type { Agent } from '../agents/types.js';
import type { RunLog } from '../runlog/run-log.js';
import { SafeStreamBuffer } from '../safety/safe-stream.js';
import type { ServingDecision } from '../serving/serving.js';
import type { ToolContext } from '../tools/types.js';
import type { HandleOutcome, RequestContext } from './context.js';
import { trimHistory } from './history.js';
import type { AnswerStream } from '../surface/surface.js';

export interface AgentSource {
  /** A live agent of this version (default: the current one); release() when done. */
  acquire(agentId: string, version?: number, options?: { onQueued?: (ahead: number) => void; signal?: AbortSignal }): Promise<{ agent: Agent; release(): void }>;
}

export interface DirectAnswerOptions {
  /** Keep each delivered answer on its run (the response cache and screening read it). */
  keepAnswers?: boolean;
  historyTokenBudget: number;
  maxInputChars: number;
  now?: () => number;
}

/** How a recovery changes the second attempt: less context, or another model. */
export interface AnswerAdjustments {
  /** Thread history kept, in tokens (a recovery trims it). */
  historyTokenBudget?: number;
  /** Cut the request itself to this many characters (last resort of a context overflow). */
  maxInputChars?: number;
  model?: string;
  notices?: string[];
}

/**
 * A failed attempt, as a value: the orchestrator decides what the user hears (a recovery's retry, or the
 * error) and closes the answer that was already open, if any.
 */
export type DirectResult =
  | { ok: true; outcome: HandleOutcome }
  | { ok: false; error: unknown; openAnswer?: AnswerStream };

/**
 * The fast path: one specialist answers, streamed to the surface through the output-safety buffer, with the
 * run finished in the log.
 */
export class DirectAnswer {
  private readonly now: () => number;

  constructor(private readonly deps: { runLog: RunLog; agents: AgentSource; cache?: { hit(entryId: string, runId: string): Promise<void> } },
    private readonly options: DirectAnswerOptions) {
    this.now = options.now ?? Date.now;
  }

  async answer(ctx: RequestContext, decision: ServingDecision, adjust: AnswerAdjustments = {}): Promise<DirectResult> {
    const ref = decision.agent!;
    let lease: Awaited<ReturnType<AgentSource['acquire']>>;
    const asked = this.now();
    try {
      lease = await this.deps.agents.acquire(ref.agentId, ref.version || undefined, {
        onQueued: (ahead) => { void ctx.surface.setStatus(`In line — ${ahead} ahead of you…`); },
      });
    } catch (error) {
      return { ok: false, error };
    }
    // Time spent in the specialist's line (bounded by QUEUE_MAX_WAIT_SECONDS) is not taken from the model's deadline.
    const deadline = ctx.deadline + (this.now() - asked);
    let answer: AnswerStream | undefined;
    // Surface calls of the answer run one after another on this chain, so appends arrive in order. The answer is
    // opened on it, not awaited here: the model is asked at once, while the surface may still be showing the status.
    let chain: Promise<void> = ctx.surface.startAnswer().then((opened) => { answer = opened; });
    try {
      const { agent } = lease;
      const history = trimHistory(ctx.message.history, adjust.historyTokenBudget ?? this.options.historyTokenBudget);
      const text = adjust.maxInputChars !== undefined && ctx.text.length > adjust.maxInputChars ? ctx.text.slice(0, adjust.maxInputChars) : ctx.text;
      let buffer = new SafeStreamBuffer(ctx.sanitize);
      const model = adjust.model ?? decision.model;
      const result = await agent.run({
        text, history: history.messages, deadline, meter: ctx.meter, ...(model ? { model } : {}),
        onToken: (token) => {
          const safe = buffer.push(token);
          if (safe) chain = chain.then(() => answer!.append(safe));
        },
        // A stream that broke mid-answer is retried from the start: close the partial answer honestly
        // and open a fresh one, so no text is shown twice.
        onReset: () => {
          buffer = new SafeStreamBuffer(ctx.sanitize);
          chain = chain.then(async () => {
            await answer!.abort('_The connection to the model dropped; retrying…_');
            answer = await ctx.surface.startAnswer();
          });
        },
        onRetry: ({ attempt, errorCode }) => { void ctx.surface.setStatus(retryStatus(errorCode, attempt + 1)); },
        tools: this.toolContext(ctx, agent),
      });
      await chain;
      const notices = [
        ctx.inputCut || text.length < ctx.text.length
          ? `_Your message was long, so I read only its first ${text.length.toLocaleString('en-US')} characters._` : '',
        result.finishReason === 'length' ? '_The answer hit the length limit and may be cut short._' : '',
        ...decision.notices, ...(adjust.notices ?? []), ...(result.notices ?? []),
      ].filter(Boolean);
      const finalText = [ctx.sanitize(result.text), ...notices].join('\n\n');
      const seconds = ((this.now() - ctx.started) / 1000).toFixed(1);
      const footer = [agent.config.specialty, result.model, `${seconds} s`,
        result.toolsUsed?.length ? `tools: ${result.toolsUsed.join(', ')}` : '',
        history.trimmed > 0 ? `${history.trimmed} older message${history.trimmed === 1 ? '' : 's'} not read` : ''].filter(Boolean).join(' · ');
      const delivery = await answer!.finish(finalText, { footer, runId: ctx.runId });
      await this.deps.runLog.finish(ctx.runId, {
        status: 'succeeded', route: decision.route, routeReason: decision.reason, agentIds: [agent.config.agentId],
        latencyMs: this.now() - ctx.started, delivered: delivery.delivered, ...(delivery.ts ? { answerTs: delivery.ts } : {}),
        ...(this.options.keepAnswers ? { answerText: ctx.sanitize(result.text) } : {}),
      });
      return { ok: true, outcome: { kind: 'answered', runId: ctx.runId, delivered: delivery.delivered, text: finalText } };
    } catch (error) {
      await chain.catch(() => {});
      return { ok: false, error, ...(answer ? { openAnswer: answer } : {}) };
    } finally {
      lease.release();
    }
  }

  /** An accepted earlier answer to the same question (the response cache): delivered as it was, no model call. */
  async fromCache(ctx: RequestContext, decision: ServingDecision): Promise<HandleOutcome> {
    const cached = decision.cached!;
    const answer = await ctx.surface.startAnswer();
    const finalText = [ctx.sanitize(cached.text), '_This is the answer I gave to the same question earlier. Ask again in this thread if it does not fit._'].join('\n\n');
    const seconds = ((this.now() - ctx.started) / 1000).toFixed(1);
    const delivery = await answer.finish(finalText, { footer: `from an earlier answer · ${decision.agent?.agentId ?? ''} · ${seconds} s`, runId: ctx.runId });
    await this.deps.runLog.finish(ctx.runId, {
      status: 'succeeded', route: 'cache', routeReason: decision.reason, ...(decision.agent ? { agentIds: [decision.agent.agentId] } : {}),
      latencyMs: this.now() - ctx.started, delivered: delivery.delivered, ...(delivery.ts ? { answerTs: delivery.ts } : {}),
      ...(this.options.keepAnswers ? { answerText: ctx.sanitize(cached.text) } : {}),
    });
    await this.deps.cache?.hit(cached.entryId, ctx.runId).catch(() => {});
    return { kind: 'answered', runId: ctx.runId, delivered: delivery.delivered, text: finalText };
  }

  /** Who asks and where (membership checks, approval), and each tool call recorded as a run step. */
  private toolContext(ctx: RequestContext, agent: Agent): ToolContext {
    const { message, surface } = ctx;
    return {
      runId: ctx.runId, workspaceId: message.workspaceId, userId: message.userId, surface: message.surface,
      ...(message.channelId ? { channelId: message.channelId } : {}), ...(message.threadTs ? { threadTs: message.threadTs } : {}),
      ...(surface.requestApproval ? { requestApproval: (request) => surface.requestApproval!(request) } : {}),
      onToolCall: async (call) => {
        await this.deps.runLog.step(ctx.runId, {
          kind: call.kind, name: call.name, status: call.status, latencyMs: call.latencyMs, agentId: agent.config.agentId,
          agentVersion: agent.config.version, ...(call.errorClass ? { errorClass: call.errorClass } : {}),
          detail: { ...(call.server ? { server: call.server } : {}), argBytes: call.argBytes, resultBytes: call.resultBytes, ...call.detail },
        });
      },
    };
  }
}

/** What the person sees while a model call is retried: what went wrong, in words, and which attempt this is. */
export function retryStatus(errorCode: string, attempt: number): string {
  switch (errorCode) {
    case 'MODEL_UNREACHABLE': return "I can't reach the model server; trying once more…";
    case 'MODEL_RATE_LIMITED': return `The model is busy; retrying (attempt ${attempt})…`;
    case 'MODEL_TIMEOUT': return `The model is slow to answer; retrying (attempt ${attempt})…`;
    default: return `The model provider had a problem; retrying (attempt ${attempt})…`;
  }
}
