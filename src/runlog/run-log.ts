import type { ModelCatalogue } from '../config/models.js';
import { RunMeter } from '../model/run-meter.js';
import type { Logger } from '../ops/logger.js';
import type {
  FinishRunInput, ModelStepInput, Run, RunStep, RunStore, ServingRecord, StartRunInput, StartRunResult, StepInput,
} from '../store/runs.js';

export type { ModelStepInput } from '../store/runs.js';

/**
 * The run log API: start a run idempotently, record its serving decision, add steps, finish it.
 * Cost is computed here from the model catalogue; a model missing from it is logged once and its cost
 * recorded as unknown (null), never as 0, so spend reports cannot silently under-count.
 */
export class RunLog {
  private readonly warnedModels = new Set<string>();

  constructor(
    private readonly runs: Pick<RunStore, 'start' | 'addStep' | 'finish' | 'recordServing'>,
    private readonly catalogue: ModelCatalogue,
    private readonly logger: Logger,
  ) {}

  start(input: StartRunInput): Promise<StartRunResult> {
    return this.runs.start(input);
  }

  /** The meter of a run: model calls charged to it become its steps (see model/models.ts). */
  meter(runId: string, logger: Logger = this.logger): RunMeter {
    return new RunMeter(runId, this, logger);
  }

  recordServing(runId: string, record: ServingRecord): Promise<void> {
    return this.runs.recordServing(runId, record);
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
    // A call that used no tokens (it failed before the model answered) cost nothing, priced or not.
    if (tokensIn === 0 && tokensOut === 0) return 0;
    const cost = this.catalogue.costOf(model, tokensIn, tokensOut);
    if (cost === null && !this.warnedModels.has(model)) {
      this.warnedModels.add(model);
      this.logger.warn({ model }, 'model has no price in the catalogue: its cost is recorded as unknown; add it to MODEL_PRICES');
    }
    return cost;
  }
}
