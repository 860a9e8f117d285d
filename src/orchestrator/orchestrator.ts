import type { Logger } from '../ops/logger.js';
import { withRun } from '../ops/run-context.js';
import type { Agent } from '../agents/types.js';
import { classifyModelError, userMessageFor } from '../agents/model-errors.js';
import { AppError, asAppError } from '../errors.js';
import type { RunLog } from '../runlog/run-log.js';
import { sanitizeAnswer } from '../safety/output-safety.js';
import { SafeStreamBuffer } from '../safety/safe-stream.js';
import { guardInput, trimHistory } from './history.js';
import type { Router } from './router.js';
import type { AnswerStream, IncomingMessage, Surface } from './surface.js';

export interface AgentSource {
  acquire(agentId: string): Promise<{ agent: Agent; release(): void }>;
}

/** What a route other than "one specialist" gets to answer a message with. */
export interface PathContext {
  runId: string;
  message: IncomingMessage;
  /** The guarded request text. */
  text: string;
  inputCut: boolean;
  surface: Surface;
  logger: Logger;
  started: number;
  deadline: number;
  /** The output safety rules for this conversation. */
  sanitize(text: string): string;
}

/**
 * Saved/induced workflows and goals: answers the message with a task graph, or returns null to let one
 * specialist answer it (the fast path).
 */
export interface PlanPath {
  tryAnswer(context: PathContext): Promise<HandleOutcome | null>;
}

export interface OrchestratorOptions {
  /** False when no model endpoint is configured: requests get an explanation instead of an answer. */
  modelConfigured: boolean;
  requestTimeoutMs: number;
  historyTokenBudget: number;
  maxInputChars: number;
  botUserId?: string;
  now?: () => number;
}

export type HandleOutcome =
  | { kind: 'answered'; runId: string; delivered: boolean; text: string }
  | { kind: 'duplicate'; runId: string }
  | { kind: 'refused'; runId?: string; reason: string }
  | { kind: 'failed'; runId?: string; errorCode: string };

/**
 * Handles one message end to end: exactly-once claim in the run log, input guard, routing, one specialist
 * (one model call on the fast path), safe streaming to the surface, and the run record — on success and on
 * every failure. Surface-neutral: Slack and the console share every line of it.
 */
export class Orchestrator {
  private readonly inFlight = new Map<string, Promise<HandleOutcome>>();
  private accepting = true;
  private readonly now: () => number;

  constructor(
    private readonly deps: { runLog: RunLog; router: Router; agents: AgentSource; logger: Logger; plans?: PlanPath },
    private readonly options: OrchestratorOptions,
  ) {
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
      workspaceId: message.workspaceId,
      surface: message.surface,
      ...(message.eventId ? { eventId: message.eventId } : {}),
      ...(message.channelId ? { channelId: message.channelId } : {}),
      ...(message.messageTs ? { messageTs: message.messageTs } : {}),
      ...(message.threadTs ? { threadTs: message.threadTs } : {}),
      userId: message.userId,
      requestText: message.text.slice(0, 4000),
      leaseSeconds: Math.ceil(this.options.requestTimeoutMs / 1000) + 60,
      });
    } catch (raw) {
      // Without the run log there is no exactly-once guarantee and no record: say so rather than go silent.
      const error = asAppError(raw, 'STORE_UNAVAILABLE');
      this.deps.logger.error({ err: error, code: error.code }, 'run log unavailable; request not handled');
      await surface.notify(userMessageFor(error));
      return { kind: 'failed', errorCode: error.code };
    }
    const { run, claimed } = claim;
    if (!claimed) return { kind: 'duplicate', runId: run.id };
    const logger = this.deps.logger.child({ runId: run.id });
    const work = withRun(run.id, () => this.answer(run.id, message, surface, logger, started)).finally(() => this.inFlight.delete(run.id));
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

  private async answer(runId: string, message: IncomingMessage, surface: Surface, logger: Logger, started: number): Promise<HandleOutcome> {
    const input = guardInput(message.text, this.options.maxInputChars);
    if (input.text.length === 0) {
      await surface.notify('I got an empty message. Ask me a question, or give me a goal to plan.');
      await this.deps.runLog.finish(runId, { status: 'refused', errorClass: 'INPUT_INVALID', errorMessage: 'empty message' });
      return { kind: 'refused', runId, reason: 'empty message' };
    }
    if (!this.options.modelConfigured) {
      const error = new AppError('MODEL_NOT_CONFIGURED', 'no model endpoint configured');
      await surface.notify(userMessageFor(error));
      await this.deps.runLog.finish(runId, { status: 'failed', errorClass: error.code, errorMessage: error.message });
      return { kind: 'failed', runId, errorCode: error.code };
    }

    const deadline = started + this.options.requestTimeoutMs;
    let answer: AnswerStream | undefined;
    // Surface calls of the answer run one after another on this chain, so appends arrive in order.
    let chain: Promise<void> = Promise.resolve();
    let agentId: string | undefined;
    let route: { route: string; reason: string } | undefined;
    try {
      await surface.setStatus('Thinking…');
      const conversation = message.loadContext
        ? await message.loadContext()
        : { history: message.history ?? [], participants: message.participants ?? [message.userId] };
      const safety = {
        inputText: [input.text, ...conversation.history.map((h) => h.text)].join('\n'),
        participants: conversation.participants,
        ...(this.options.botUserId ? { botUserId: this.options.botUserId } : {}),
      };
      const sanitize = (text: string) => sanitizeAnswer(text, safety).text;

      // A saved or induced workflow, or a goal, is answered by a task graph; everything else by one specialist.
      const planned = await this.deps.plans?.tryAnswer({
        runId, message: { ...message, history: conversation.history, participants: conversation.participants },
        text: input.text, inputCut: input.cut, surface, logger, started, deadline, sanitize,
      });
      if (planned) return planned;

      const decision = await this.deps.router.route(input.text, deadline);
      agentId = decision.agentId;
      route = { route: decision.route, reason: decision.reason };
      if (decision.routerUsage) {
        await this.deps.runLog.modelStep(runId, { kind: 'router', status: 'ok', ...decision.routerUsage });
      }
      logger.info({ agentId, route: decision.route, reason: decision.reason }, 'routed');

      const lease = await this.deps.agents.acquire(decision.agentId);
      try {
        const { agent } = lease;
        const history = trimHistory(conversation.history, this.options.historyTokenBudget);
        let buffer = new SafeStreamBuffer(sanitize);
        answer = await surface.startAnswer();
        const result = await agent.run({
          text: input.text,
          history: history.messages,
          deadline,
          onToken: (token) => {
            const safe = buffer.push(token);
            if (safe) chain = chain.then(() => answer!.append(safe));
          },
          // A stream that broke mid-answer is retried from the start: close the partial answer honestly
          // and open a fresh one, so no text is shown twice.
          onReset: () => {
            buffer = new SafeStreamBuffer(sanitize);
            chain = chain.then(async () => {
              await answer!.abort('_The connection to the model dropped; retrying…_');
              answer = await surface.startAnswer();
            });
          },
          onRetry: ({ attempt }) => { void surface.setStatus(`The model is busy; retrying (attempt ${attempt + 1})…`); },
          // Tools: who asks and where (membership checks, approval), and each call recorded as a run step.
          tools: {
            runId, workspaceId: message.workspaceId, userId: message.userId, surface: message.surface,
            ...(message.channelId ? { channelId: message.channelId } : {}), ...(message.threadTs ? { threadTs: message.threadTs } : {}),
            ...(surface.requestApproval ? { requestApproval: (request) => surface.requestApproval!(request) } : {}),
            onToolCall: async (call) => {
              await this.deps.runLog.step(runId, {
                kind: call.kind, name: call.name, status: call.status, latencyMs: call.latencyMs, agentId: agent.config.agentId,
                ...(call.errorClass ? { errorClass: call.errorClass } : {}),
                detail: { ...(call.server ? { server: call.server } : {}), argBytes: call.argBytes, resultBytes: call.resultBytes, ...call.detail },
              });
            },
          },
        });
        await chain;
        const stream = answer;
        // One model step per model round (with tools an answer takes several), each priced on its own.
        for (const [i, round] of (result.rounds ?? [result]).entries()) {
          await this.deps.runLog.modelStep(runId, {
            kind: 'model', status: 'ok', agentId: agent.config.agentId, agentVersion: agent.config.version,
            model: round.model, tokensIn: round.tokensIn, tokensOut: round.tokensOut, latencyMs: round.latencyMs,
            detail: { modelCalls: round.modelCalls, ...(round.finishReason ? { finishReason: round.finishReason } : {}), ...(result.rounds ? { round: i + 1 } : {}) },
          });
        }
        const notices = [
          input.cut ? `_Your message was long, so I read only its first ${this.options.maxInputChars.toLocaleString('en-US')} characters._` : '',
          result.finishReason === 'length' ? '_The answer hit the length limit and may be cut short._' : '',
          ...(result.notices ?? []),
        ].filter(Boolean);
        const finalText = [sanitize(result.text), ...notices].join('\n\n');
        const seconds = ((this.now() - started) / 1000).toFixed(1);
        const footer = [agent.config.specialty, result.model, `${seconds} s`,
          result.toolsUsed?.length ? `tools: ${result.toolsUsed.join(', ')}` : '',
          history.trimmed > 0 ? `${history.trimmed} older message${history.trimmed === 1 ? '' : 's'} not read` : ''].filter(Boolean).join(' · ');
        const delivery = await stream.finish(finalText, { footer, runId });
        await this.deps.runLog.finish(runId, {
          status: 'succeeded', route: decision.route, routeReason: decision.reason, agentIds: [agent.config.agentId],
          latencyMs: this.now() - started, delivered: delivery.delivered, ...(delivery.ts ? { answerTs: delivery.ts } : {}),
        });
        return { kind: 'answered', runId, delivered: delivery.delivered, text: finalText };
      } finally {
        lease.release();
      }
    } catch (raw) {
      const error = raw instanceof AppError && !raw.code.startsWith('INTERNAL') ? raw : classifyIfModel(raw);
      logger.warn({ err: error, code: error.code, cause: (error.cause as Error | undefined)?.message }, 'request failed');
      const text = userMessageFor(error);
      await chain.catch(() => {});
      if (answer) await answer.abort(text);
      else await surface.notify(text);
      const refused = error.code === 'AGENT_BUSY' || error.code === 'SPAWN_LIMITED';
      // Model rounds that completed before a later round failed still cost tokens: record them.
      const completed = (error.details.completedRounds ?? []) as Array<{ model: string; tokensIn: number; tokensOut: number; latencyMs: number }>;
      for (const round of completed) {
        await this.deps.runLog.modelStep(runId, { kind: 'model', status: 'ok', ...(agentId ? { agentId } : {}), ...round }).catch(() => {});
      }
      await this.deps.runLog.step(runId, {
        kind: 'model', status: error.code === 'MODEL_TIMEOUT' ? 'timeout' : 'error', errorClass: error.code,
        ...(agentId ? { agentId } : {}), detail: { message: error.message.slice(0, 500) },
      }).catch(() => {});
      await this.deps.runLog.finish(runId, {
        status: refused ? 'refused' : 'failed', errorClass: error.code, errorMessage: error.message,
        latencyMs: this.now() - started, ...(route ? { route: route.route, routeReason: route.reason } : {}),
        ...(agentId ? { agentIds: [agentId] } : {}),
      }).catch((e: unknown) => logger.error({ err: e }, 'could not record the failed run'));
      return refused ? { kind: 'refused', runId, reason: error.code } : { kind: 'failed', runId, errorCode: error.code };
    }
  }
}

/** Errors from LangChain/OpenAI become model error codes; anything else stays INTERNAL. */
function classifyIfModel(raw: unknown): AppError {
  const classified = classifyModelError(raw);
  return classified.code.startsWith('MODEL_') ? classified : asAppError(raw);
}
