import type { ModelCatalogue } from '../config/models.js';
import type { Logger } from '../ops/logger.js';
import type { FinishRunInput, Run, RunStep, RunStore, StartRunInput, StartRunResult, StepInput } from '../store/runs.js';

export interface ModelStepInput extends Omit<StepInput, 'costUsd'> {
  model: string;
  tokensIn: number;
  tokensOut: number;
}

/**
 * The run log API used by the orchestrator: start a run idempotently, add steps, finish it.
 * Cost is computed here from the model catalogue; a model missing from it is logged once and its cost
 * recorded as unknown (null), never as 0, so spend reports cannot silently under-count.
 */
export class RunLog {
  private readonly warnedModels = new Set<string>();

  constructor(
    private readonly runs: RunStore,
    private readonly catalogue: ModelCatalogue,
    private readonly logger: Logger,
  ) {}

  start(input: StartRunInput): Promise<StartRunResult> {
    return this.runs.start(input);
  }

  /** A step that used a model: tokens in/out priced from the catalogue. */
  modelStep(runId: string, step: ModelStepInput): Promise<RunStep> {
    return this.runs.addStep(runId, { ...step, costUsd: this.costOf(step.model, step.tokensIn, step.tokensOut) });
  }

  /** A step without model tokens (tool call, approval, note...). */
  step(runId: string, step: Omit<StepInput, 'costUsd'>): Promise<RunStep> {
    return this.runs.addStep(runId, step);
  }

  finish(runId: string, input: FinishRunInput): Promise<Run> {
    return this.runs.finish(runId, input);
  }

  costOf(model: string, tokensIn: number, tokensOut: number): number | null {
    const cost = this.catalogue.costOf(model, tokensIn, tokensOut);
    if (cost === null && !this.warnedModels.has(model)) {
      this.warnedModels.add(model);
      this.logger.warn({ model }, 'model has no price in the catalogue: its cost is recorded as unknown; add it to MODEL_PRICES');
    }
    return cost;
  }
}
