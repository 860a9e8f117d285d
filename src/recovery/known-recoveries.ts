import type { AppError } from '../errors.js';
import type { FailureRecovery, RecoveryPlan, RequestContext } from '../orchestrator/orchestrator.js';
import type { ServingDecision } from '../serving/serving.js';
import type { AnalystStore, ErrorKnowledge } from '../store/analysts.js';

export interface KnownRecoveryOptions {
  /** Model tried when the knowledge base says a failure goes away on another model. */
  fallbackModel: string;
  /** Characters of the request kept when trimming cannot stop at the history. */
  trimInputChars: number;
  /** A strategy is no longer tried once it has this many attempts and succeeds less often than minSuccessRate. */
  minAttempts?: number;
  minSuccessRate?: number;
}

/**
 * The error knowledge base at runtime: when a request fails with an error the error analyst has seen, its best
 * known recovery is tried once before the user is told — trim the context (history first, then the request,
 * with a notice), or another model. Whether it worked is recorded, so a strategy that stops working stops
 * being tried. Errors that no retry can fix (quota, credentials) are never retried this way.
 */
export class KnownRecoveries implements FailureRecovery {
  constructor(private readonly store: { analysts: Pick<AnalystStore, 'recoveryFor' | 'recordRecovery'> }, private readonly options: KnownRecoveryOptions) {}

  async planFor(ctx: RequestContext, decision: ServingDecision, error: AppError): Promise<RecoveryPlan | null> {
    if (!decision.agent || !RECOVERABLE.has(error.code)) return null;
    const model = typeof error.details.model === 'string' ? error.details.model : decision.model;
    const known = await this.store.analysts.recoveryFor(error.code, error.message, decision.agent.agentId, model);
    if (!known || !this.stillWorks(known)) return null;
    const base = { signature: known.signature, strategy: known.recovery! };
    switch (known.recovery) {
      case 'trim_context': {
        const historyChars = ctx.message.history.reduce((n, m) => n + m.text.length, 0);
        // History first: when the thread is most of the prompt, dropping it is enough; otherwise cut the request too.
        const cutInput = ctx.text.length > this.options.trimInputChars && historyChars < ctx.text.length;
        return {
          ...base, status: 'That was too long for the model; trying again with less context…',
          adjust: {
            historyTokenBudget: 0,
            ...(cutInput ? { maxInputChars: this.options.trimInputChars } : {}),
            notices: [`_The conversation was too long for the model, so I answered from ${cutInput ? 'the start of your message' : 'your message'} only${historyChars > 0 ? ', without the earlier messages in this thread' : ''}._`],
          },
        };
      }
      case 'fallback_model':
        if (this.options.fallbackModel === decision.model) return null;
        return {
          ...base, status: `The model failed; trying again on ${this.options.fallbackModel}…`,
          adjust: { model: this.options.fallbackModel, notices: [`_The usual model failed, so this answer comes from \`${this.options.fallbackModel}\`._`] },
        };
      default:
        // retry_later, ask_rephrase, split_task: the user is told (the error message says what to do); no retry now.
        return null;
    }
  }

  async settle(plan: RecoveryPlan, succeeded: boolean): Promise<void> {
    await this.store.analysts.recordRecovery(plan.signature, succeeded);
  }

  private stillWorks(known: ErrorKnowledge): boolean {
    const minAttempts = this.options.minAttempts ?? 5;
    if (known.recoveryAttempts < minAttempts) return true;
    return known.recoverySuccesses / known.recoveryAttempts >= (this.options.minSuccessRate ?? 0.3);
  }
}

/** Failures a second attempt can fix; quota, credentials, cancellation and the like are told to the user at once. */
const RECOVERABLE = new Set(['MODEL_CONTEXT_OVERFLOW', 'MODEL_SERVER_ERROR', 'MODEL_TIMEOUT', 'MODEL_BAD_OUTPUT', 'MODEL_REFUSED']);
