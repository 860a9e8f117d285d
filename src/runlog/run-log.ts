import type { ModelCatalogue } from '../config/models.js';
import { RunMeter } from '../model/run-meter.js';
import type { Logger } from '../ops/logger.js';
import type {
  FinishRunInput, ModelStepInput, Run, RunStep, RunStore, ServingRecord, StartRunInput, StartRunResult, StepInput,
} from '../store/runs.js';

export type { ModelStepInput } from '../store/runs.js';

/** How a run ended, as metrics and traces see it. */
export interface RunEnd {
  runId: string;
  status: FinishRunInput['status'];
  route: string | null;
  agentId: string | null;
  errorClass: string | null;
  /** Start to finish; null when unknown (the finish could not be recorded and none was given). */
  latencyMs: number | null;
  /** Epoch ms; null when unknown. */
  startedAt: number | null;
  /** False when the store refused the finish: the figures are the caller's, not the run record's. */
  recorded: boolean;
}

/** Told when a run is claimed and when it ends; must not throw (a throw is caught and dropped). */
export interface RunObserver {
  runStarted?(run: Run): void;
  runFinished?(end: RunEnd): void;
}

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
    private readonly observers: readonly RunObserver[] = [],
  ) {}

  async start(input: StartRunInput): Promise<StartRunResult> {
    const result = await this.runs.start(input);
    // Only the delivery that answers starts the run for observers; duplicates do not.
    if (result.claimed) this.tell((o) => o.runStarted?.(result.run));
    return result;
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

  async finish(runId: string, input: FinishRunInput): Promise<Run> {
    let run: Run;
    try {
      run = await this.runs.finish(runId, input);
    } catch (error) {
      // The run still ended: its span closes and it is counted, from what the caller knows.
      this.tell((o) => o.runFinished?.({
        runId, status: input.status, route: input.route ?? null, agentId: input.agentIds?.[0] ?? null,
        errorClass: input.errorClass ?? null, latencyMs: input.latencyMs ?? null, startedAt: null, recorded: false,
      }));
      throw error;
    }
    const startedAt = Date.parse(run.startedAt);
    const finishedAt = run.finishedAt ? Date.parse(run.finishedAt) : Number.NaN;
    this.tell((o) => o.runFinished?.({
      runId, status: input.status, route: run.route, agentId: run.agentIds[0] ?? null, errorClass: run.errorClass,
      latencyMs: run.latencyMs ?? (Number.isFinite(finishedAt - startedAt) ? finishedAt - startedAt : null),
      startedAt: Number.isFinite(startedAt) ? startedAt : null, recorded: true,
    }));
    return run;
  }

  private tell(notify: (observer: RunObserver) => void): void {
    for (const observer of this.observers) {
      try {
        notify(observer);
      } catch {
        // Metrics and traces must never fail a run's bookkeeping.
      }
    }
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
