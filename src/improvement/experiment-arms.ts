import { LRUCache } from 'lru-cache';
import { AppError } from '../errors.js';
import type { ArmAssignment, ArmChooser, ExperimentTarget } from '../serving/arms.js';
import type { Experiment, ExperimentStore } from '../store/experiments.js';

/**
 * Experiment arms for the serving decision: the running experiment of a target (cached a few seconds, so a
 * request costs no query when nothing runs), and the unit's sticky arm from the store. Every instance
 * computes the same arm for a new unit (a hash of experiment and unit), and the stored assignment keeps it.
 */
export class ExperimentArms implements ArmChooser {
  private readonly running = new LRUCache<string, { experiment: Experiment | null }>({ max: 5000, ttl: 5000 });

  constructor(private readonly store: Pick<ExperimentStore, 'running' | 'assign'>) {}

  /**
   * While the database is unreachable no experiment is served (null: the current version answers): the sticky
   * assignment cannot be read or written, and a run served without one is not counted in any arm.
   */
  async assign(target: ExperimentTarget, unitKey: string): Promise<ArmAssignment | null> {
    try {
      return await this.assignFromStore(target, unitKey);
    } catch (error) {
      if (error instanceof AppError && error.code === 'STORE_UNAVAILABLE') return null;
      throw error;
    }
  }

  private async assignFromStore(target: ExperimentTarget, unitKey: string): Promise<ArmAssignment | null> {
    const key = `${target.kind}:${target.id}`;
    let cached = this.running.get(key);
    if (!cached) {
      cached = { experiment: await this.store.running(target.kind, target.id) };
      this.running.set(key, cached);
    }
    const experiment = cached.experiment;
    if (!experiment) return null;
    const arm = await this.store.assign(experiment.id, unitKey);
    if (!arm) return null;
    const version = arm === 'candidate' ? experiment.candidateVersion : experiment.controlVersion;
    return { experimentId: experiment.id, arm, ...(target.kind === 'agent' && version !== null ? { agentVersion: version } : {}) };
  }

  /** After an experiment starts or ends here, serve the change at once rather than after the cache expires. */
  forget(target: ExperimentTarget): void {
    this.running.delete(`${target.kind}:${target.id}`);
  }
}
