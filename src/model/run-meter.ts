import { AppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import type { ModelStepInput } from '../store/runs.js';

/** Where a meter writes its steps: the run log (RunLog.modelStep), or a list in a test. */
export interface StepSink {
  /** USD for these tokens on this model; null when the model has no price. */
  costOf(model: string, tokensIn: number, tokensOut: number): number | null;
  modelStep(runId: string, step: ModelStepInput): Promise<unknown>;
}

export interface SpendLimit {
  /** Stop before a call once this much has been spent (USD, known costs). */
  costUsd?: number;
  tokens?: number;
  /** Named in the BUDGET_EXCEEDED error, e.g. "the analyst budget (ANALYST_MAX_COST_USD)". */
  label: string;
}

/**
 * The model spend of one run, as it happens: every metered call adds a run step and its tokens and cost to
 * the totals here, so a goal's budget sees its planning, spawning and synthesis calls as well as its tasks,
 * and an analyst run can be capped before it overspends. Cost of a model with no price is unknown: counted
 * in unknownCostSteps, never as 0.
 */
export class RunMeter {
  tokens = 0;
  costUsd = 0;
  unknownCostSteps = 0;
  calls = 0;
  private limit: SpendLimit | undefined;
  private readonly byName = new Map<string, { tokens: number; costUsd: number }>();

  constructor(readonly runId: string, private readonly sink: StepSink, private readonly logger?: Logger) {}

  /** Caps what later calls may spend (checked before each call). */
  setLimit(limit: SpendLimit | undefined): this {
    this.limit = limit;
    return this;
  }

  /** Throws BUDGET_EXCEEDED when the limit is reached. */
  checkLimit(): void {
    const limit = this.limit;
    if (!limit) return;
    if ((limit.costUsd !== undefined && this.costUsd >= limit.costUsd) || (limit.tokens !== undefined && this.tokens >= limit.tokens)) {
      throw new AppError('BUDGET_EXCEEDED', `${limit.label} is used up (${this.tokens} tokens, $${this.costUsd.toFixed(4)} spent)`,
        { details: { tokens: this.tokens, costUsd: this.costUsd } });
    }
  }

  /** What the steps of one name (a goal task) spent, concurrent tasks kept apart. */
  spentOn(name: string): { tokens: number; costUsd: number } {
    return this.byName.get(name) ?? { tokens: 0, costUsd: 0 };
  }

  async record(step: ModelStepInput): Promise<void> {
    this.calls++;
    this.tokens += step.tokensIn + step.tokensOut;
    // Counted before the write, so a budget holds even when the run log cannot be written.
    const costUsd = this.sink.costOf(step.model, step.tokensIn, step.tokensOut);
    if (costUsd === null) this.unknownCostSteps++;
    else this.costUsd += costUsd;
    if (step.name) {
      const part = this.byName.get(step.name) ?? { tokens: 0, costUsd: 0 };
      part.tokens += step.tokensIn + step.tokensOut;
      part.costUsd += costUsd ?? 0;
      this.byName.set(step.name, part);
    }
    try {
      await this.sink.modelStep(this.runId, step);
    } catch (error) {
      // The answer must not fail because its bookkeeping did; the run log's own outage handling keeps the step.
      this.logger?.warn({ err: error, runId: this.runId }, 'model step not recorded');
    }
  }
}
