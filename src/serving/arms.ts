/**
 * The seam where live experiments choose what serves a request (src/improvement implements it). The serving
 * decision asks once per target it is about to use; an answer of null means no experiment runs on that
 * target and the current version serves.
 */
export type Arm = 'control' | 'candidate';

/** What an experiment can be about: one agent (its versions), or one workflow (replay it or not). */
export interface ExperimentTarget {
  kind: 'agent' | 'workflow' | 'cache';
  id: string;
}

export interface ArmAssignment {
  experimentId: string;
  arm: Arm;
  /** Agent targets: the version that serves this arm. */
  agentVersion?: number;
}

export interface ArmChooser {
  /** The arm this unit (a thread: workspace:channel:thread) is in, sticky for the unit; null: no experiment. */
  assign(target: ExperimentTarget, unitKey: string): Promise<ArmAssignment | null>;
}

/** No experiments: the static configuration serves (LEARNING_ENABLED=false, or nothing to test). */
export const NO_EXPERIMENTS: ArmChooser = { assign: async () => null };
