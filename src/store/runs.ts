import type { ErrorCode } from '../errors.js';
import { camelize, numberOrNull } from './rows.js';
import type { RpcTransport } from './rpc.js';

export type Surface = 'slack' | 'console' | 'scheduler' | 'test';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'refused';
export type RunKind = 'message' | 'command' | 'goal' | 'workflow' | 'analyst';
export type StepKind = 'model' | 'tool' | 'router' | 'plan' | 'synthesis' | 'approval' | 'recovery' | 'note' | 'embedding' | 'judge' | 'analyst';
export type StepStatus = 'ok' | 'error' | 'timeout' | 'refused' | 'denied' | 'cancelled';

export interface Run {
  id: string;
  workspaceId: string;
  surface: Surface;
  eventId: string | null;
  channelId: string | null;
  messageTs: string | null;
  threadTs: string | null;
  userId: string | null;
  requestText: string;
  kind: RunKind;
  route: string | null;
  routeReason: string | null;
  agentIds: string[];
  /** Every agent version that served the run (the serving decision's, and each model step's). */
  agentVersions: Array<{ agentId: string; version: number }>;
  workflowId: string | null;
  workflowVersion: number | null;
  /** Every model that served a step of the run. */
  models: string[];
  experimentId: string | null;
  experimentArm: 'control' | 'candidate' | null;
  /** The serving decision as it was made. */
  serving: Record<string, unknown> | null;
  /** failed | corrected | accepted, once known (see the improvement loop); the score combines it with rating and tools. */
  outcome: 'failed' | 'corrected' | 'accepted' | null;
  score: number | null;
  status: RunStatus;
  errorClass: ErrorCode | null;
  errorMessage: string | null;
  tokensIn: number;
  tokensOut: number;
  /** Sum of the steps whose cost is known. */
  costUsd: number;
  /** Model steps whose model is missing from the catalogue: when > 0 the true cost is unknown. */
  costUnknownSteps: number;
  latencyMs: number | null;
  attempt: number;
  answerTs: string | null;
  delivered: boolean;
  startedAt: string;
  finishedAt: string | null;
}

export interface RunStep {
  id: number;
  runId: string;
  seq: number;
  kind: StepKind;
  name: string | null;
  agentId: string | null;
  agentVersion: number | null;
  model: string | null;
  tokensIn: number;
  tokensOut: number;
  /** Null: unknown (the model has no price in the catalogue). */
  costUsd: number | null;
  latencyMs: number | null;
  status: StepStatus;
  errorClass: ErrorCode | null;
  detail: Record<string, unknown>;
  createdAt: string;
}

export interface StartRunInput {
  workspaceId: string;
  surface: Surface;
  eventId?: string;
  channelId?: string;
  messageTs?: string;
  threadTs?: string;
  userId?: string;
  requestText?: string;
  kind?: RunKind;
  /** How long this delivery owns the run before a retry may take it over. */
  leaseSeconds?: number;
}

export interface StartRunResult {
  run: Run;
  /** True for the first delivery of this event/message. */
  created: boolean;
  /** True when this delivery should answer (first delivery, or takeover of an abandoned run). */
  claimed: boolean;
}

export interface StepInput {
  kind: StepKind;
  status: StepStatus;
  name?: string;
  agentId?: string;
  agentVersion?: number;
  model?: string;
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number | null;
  latencyMs?: number;
  errorClass?: ErrorCode;
  detail?: Record<string, unknown>;
}

/** A step that used a model: the run log prices its tokens from the catalogue. */
export interface ModelStepInput extends Omit<StepInput, 'costUsd'> {
  model: string;
  tokensIn: number;
  tokensOut: number;
}

/** The serving decision as the run records it (see src/serving). */
export interface ServingRecord {
  route: string;
  routeReason: string;
  agent?: { agentId: string; version: number };
  workflow?: { id: string; version: number };
  experiment?: { id: string; arm: 'control' | 'candidate' };
  /** The whole decision, for the record (no prompts, no secrets). */
  detail: Record<string, unknown>;
}

export interface FinishRunInput {
  status: Exclude<RunStatus, 'running'>;
  route?: string;
  routeReason?: string;
  agentIds?: string[];
  errorClass?: ErrorCode;
  errorMessage?: string;
  latencyMs?: number;
  answerTs?: string;
  delivered?: boolean;
  workflowId?: string;
  /** The delivered answer, kept on the run (the response cache and screening read it); cut to 8,000 characters. */
  answerText?: string;
}

export function toRun(row: unknown): Run {
  const run = camelize<Run>(row);
  run.costUsd = numberOrNull(run.costUsd) ?? 0;
  run.agentVersions = ((run.agentVersions ?? []) as unknown[]).map((v) => camelize<{ agentId: string; version: number }>(v));
  run.models ??= [];
  run.score = numberOrNull(run.score);
  return run;
}

export function toStep(row: unknown): RunStep {
  const step = camelize<RunStep>(row);
  step.costUsd = numberOrNull(step.costUsd);
  return step;
}

/** Run log persistence. Cost arrives already computed (see RunLog); the SQL only aggregates it. */
export class RunStore {
  constructor(private readonly rpc: RpcTransport) {}

  async start(input: StartRunInput): Promise<StartRunResult> {
    const result = (await this.rpc.call('run_start', {
      p_workspace_id: input.workspaceId,
      p_surface: input.surface,
      p_event_id: input.eventId,
      p_channel_id: input.channelId,
      p_message_ts: input.messageTs,
      p_thread_ts: input.threadTs,
      p_user_id: input.userId,
      p_request_text: input.requestText,
      p_kind: input.kind,
      p_lease_seconds: input.leaseSeconds,
    })) as { run: unknown; created: boolean; claimed: boolean };
    return { run: toRun(result.run), created: result.created, claimed: result.claimed };
  }

  async addStep(runId: string, step: StepInput): Promise<RunStep> {
    return toStep(await this.rpc.call('run_add_step', {
      p_run_id: runId,
      p_kind: step.kind,
      p_status: step.status,
      p_name: step.name,
      p_agent_id: step.agentId,
      p_agent_version: step.agentVersion,
      p_model: step.model,
      p_tokens_in: step.tokensIn,
      p_tokens_out: step.tokensOut,
      p_cost_usd: step.costUsd ?? null,
      p_latency_ms: step.latencyMs === undefined ? undefined : Math.round(step.latencyMs),
      p_error_class: step.errorClass,
      p_detail: step.detail,
    }));
  }

  /** Records the serving decision on the run, before anything of it runs. */
  async recordServing(runId: string, record: ServingRecord): Promise<void> {
    await this.rpc.call('run_record_serving', {
      p_run_id: runId, p_route: record.route, p_route_reason: record.routeReason,
      p_agent: record.agent ? { agent_id: record.agent.agentId, version: record.agent.version } : undefined,
      p_workflow_id: record.workflow?.id, p_workflow_version: record.workflow?.version,
      p_experiment_id: record.experiment?.id, p_experiment_arm: record.experiment?.arm, p_serving: record.detail,
    });
  }

  async finish(runId: string, input: FinishRunInput): Promise<Run> {
    return toRun(await this.rpc.call('run_finish', {
      p_run_id: runId,
      p_status: input.status,
      p_route: input.route,
      p_route_reason: input.routeReason,
      p_agent_ids: input.agentIds,
      p_error_class: input.errorClass,
      p_error_message: input.errorMessage,
      p_latency_ms: input.latencyMs === undefined ? undefined : Math.round(input.latencyMs),
      p_answer_ts: input.answerTs,
      p_delivered: input.delivered,
      p_workflow_id: input.workflowId,
      p_answer_text: input.answerText,
    }));
  }

  async get(runId: string): Promise<(Run & { steps: RunStep[] }) | null> {
    const row = (await this.rpc.call('run_get', { p_run_id: runId })) as { steps: unknown[] } | null;
    if (!row) return null;
    return { ...toRun(row), steps: row.steps.map(toStep) };
  }

  /** Extends the delivery lease of a run still being worked on (long goals). */
  async renewLease(runId: string, leaseSeconds: number): Promise<void> {
    await this.rpc.call('run_renew_lease', { p_run_id: runId, p_lease_seconds: leaseSeconds });
  }

  /** True when the bot has answered in this thread before (follow-ups there need no mention). */
  async threadKnown(workspaceId: string, channelId: string, threadTs: string): Promise<boolean> {
    return (await this.rpc.call('run_thread_known', { p_workspace_id: workspaceId, p_channel_id: channelId, p_thread_ts: threadTs })) === true;
  }

  /** Sets a run's outcome (see run_set_outcome: explicit feedback wins over implicit signals). */
  async setOutcome(runId: string, outcome: 'failed' | 'corrected' | 'accepted', source: 'failure' | 'correction' | 'feedback' | 'window'): Promise<boolean> {
    return ((await this.rpc.call('run_set_outcome', { p_run_id: runId, p_outcome: outcome, p_source: source })) as { updated: boolean }).updated;
  }

  /** Failed runs get their outcome; answers nobody corrected within the window become accepted (with scores). */
  async settleOutcomes(windowSeconds: number): Promise<{ failed: number; accepted: number }> {
    return (await this.rpc.call('outcomes_settle', { p_window_seconds: windowSeconds })) as { failed: number; accepted: number };
  }

  /** The same user's previous answered run in a thread, before this one. */
  async previousInThread(key: { workspaceId: string; channelId: string; threadTs: string; userId: string; before: string }):
    Promise<{ id: string; requestText: string; finishedAt: string; outcome: string | null; outcomeSource: string | null; status: RunStatus } | null> {
    const row = await this.rpc.call('run_previous_in_thread', {
      p_workspace_id: key.workspaceId, p_channel_id: key.channelId, p_thread_ts: key.threadTs, p_user_id: key.userId, p_before: key.before,
    });
    return row ? camelize(row) : null;
  }

  /** Keeps the delivered answer (what a cached answer and a screening judge read). */
  async setAnswer(runId: string, text: string): Promise<void> {
    await this.rpc.call('run_set_answer', { p_run_id: runId, p_answer_text: text });
  }

  /** The specialist that last answered in this thread (a direct answer), or null. */
  async threadAgent(workspaceId: string, channelId: string, threadTs: string): Promise<string | null> {
    const row = await this.rpc.call('run_thread_agent', { p_workspace_id: workspaceId, p_channel_id: channelId, p_thread_ts: threadTs });
    return typeof row === 'string' ? row : null;
  }

  async find(key: { workspaceId: string; eventId?: string; channelId?: string; messageTs?: string }): Promise<Run[]> {
    const rows = (await this.rpc.call('run_find', {
      p_workspace_id: key.workspaceId,
      p_event_id: key.eventId,
      p_channel_id: key.channelId,
      p_message_ts: key.messageTs,
    })) as unknown[];
    return rows.map(toRun);
  }
}
