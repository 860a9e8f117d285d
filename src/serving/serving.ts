import type { RunMeter } from '../model/run-meter.js';
import type { AgentStore } from '../store/agents.js';
import type { RunStore, ServingRecord } from '../store/runs.js';
import type { Plan } from '../store/task-graph.js';
import { NO_EXPERIMENTS, type Arm, type ArmChooser } from './arms.js';
import { detectGoal } from './detect-goal.js';
import type { Router } from './router.js';

export interface AgentRef {
  agentId: string;
  version: number;
}

/** A workflow a request matched, with why. */
export interface WorkflowChoice {
  id: string;
  name: string;
  version: number;
  plan: Plan;
  reason: string;
}

export interface WorkflowMatcher {
  /** The active workflow the request should replay, and the best-matching candidate workflow (under test), if any. */
  match(workspaceId: string, text: string): Promise<{ active: WorkflowChoice | null; candidate: WorkflowChoice | null }>;
}

/**
 * What serves one request, decided in one place and recorded on the run before any of it runs:
 * - workflow: replay a saved or induced task graph (no planning call);
 * - goal: plan the request into a task graph, then run it;
 * - direct: one specialist — which agent, which version, and the model when it differs from the agent's own.
 * The experiment, when one chose an arm for this request, is part of the decision.
 */
export interface ServingDecision {
  kind: 'direct' | 'goal' | 'workflow' | 'cache';
  /** direct | router | fallback (the router's routes), goal, workflow. */
  route: string;
  reason: string;
  agent?: AgentRef;
  /** Set when something other than the agent's config picks the model (a budget downgrade, a recovery). */
  model?: string;
  workflow?: WorkflowChoice;
  /** A goal: the request without an explicit "plan:" prefix. */
  goalText?: string;
  experiment?: { id: string; arm: Arm };
  /** A cached answer to the same question (kind 'cache'). */
  cached?: { entryId: string; text: string; sourceRunId: string | null };
  /** Sentences for the user about the decision (e.g. a downgrade), appended to the answer. */
  notices: string[];
}

export interface ServingRequest {
  workspaceId: string;
  userId: string;
  text: string;
  /** Set for a follow-up in a thread: the thread where the conversation continues. */
  thread?: { channelId: string; threadTs: string };
  /** The experiment unit: one thread (workspace:channel:thread), so a conversation never switches arms. */
  unitKey: string;
  deadline: number;
  meter: RunMeter;
}

/**
 * Adjusts a decision before it is final: budgets (refuse, or downgrade the model), cached answers. Each
 * policy may return the decision unchanged; one that refuses throws an AppError the user is told.
 */
export interface ServingPolicy {
  /** Before anything is decided (no model call has happened yet): may refuse the request. */
  before?(request: ServingRequest): Promise<void>;
  apply(decision: ServingDecision, request: ServingRequest): Promise<ServingDecision>;
}

export interface ServingDeps {
  router: Router;
  agents: Pick<AgentStore, 'currentVersions'>;
  /** Who answered earlier in a thread: a follow-up that matches no specialist stays with them. */
  threads?: Pick<RunStore, 'threadAgent'>;
  workflows?: WorkflowMatcher;
  /** False without a planner model: goals are answered directly. */
  canPlan: boolean;
  arms?: ArmChooser;
  policies?: ServingPolicy[];
}

/**
 * The serving decision. Order: a matching workflow (an active one, or a candidate one when an experiment puts
 * this thread in its candidate arm), then a recognisable goal, then one specialist chosen by the router, in
 * the version an experiment assigns (else the current one). The improvement loop hooks its arm choice here
 * through ArmChooser; budgets and caches through ServingPolicy.
 */
export class ServingDecider {
  private readonly arms: ArmChooser;

  constructor(private readonly deps: ServingDeps) {
    this.arms = deps.arms ?? NO_EXPERIMENTS;
  }

  async decide(request: ServingRequest): Promise<ServingDecision> {
    for (const policy of this.deps.policies ?? []) await policy.before?.(request);
    return this.finish(await this.choose(request), request);
  }

  /** A goal that could not be planned is answered by one specialist: the decision is made again as direct. */
  async decideDirect(request: ServingRequest): Promise<ServingDecision> {
    return this.finish(await this.direct(request), request);
  }

  private async choose(request: ServingRequest): Promise<ServingDecision> {
    const matched = await this.deps.workflows?.match(request.workspaceId, request.text).catch(() => null);
    if (matched?.candidate) {
      const assignment = await this.arms.assign({ kind: 'workflow', id: matched.candidate.id }, request.unitKey);
      if (assignment?.arm === 'candidate') {
        return workflowDecision(matched.candidate, { id: assignment.experimentId, arm: 'candidate' });
      }
      if (assignment) {
        // Control arm: served as if the candidate did not exist, and recorded as the experiment's control.
        const control = matched.active ? workflowDecision(matched.active) : await this.withoutWorkflow(request);
        return { ...control, experiment: { id: assignment.experimentId, arm: 'control' } };
      }
    }
    if (matched?.active) return workflowDecision(matched.active);
    return this.withoutWorkflow(request);
  }

  private async withoutWorkflow(request: ServingRequest): Promise<ServingDecision> {
    const goal = detectGoal(request.text);
    if (goal.isGoal && this.deps.canPlan) return { kind: 'goal', route: 'goal', reason: goal.reason, goalText: goal.text, notices: [] };
    return this.direct(request);
  }

  private async direct(request: ServingRequest): Promise<ServingDecision> {
    let routed = await this.deps.router.route(request.text, request.deadline, request.meter);
    if (routed.route === 'fallback' && request.thread && this.deps.threads) {
      const previous = await this.deps.threads.threadAgent(request.workspaceId, request.thread.channelId, request.thread.threadTs).catch(() => null);
      if (previous) routed = { agentId: previous, route: 'direct', reason: `continues the thread with ${previous} (the request names no other specialty)` };
    }
    const assignment = await this.arms.assign({ kind: 'agent', id: routed.agentId }, request.unitKey);
    // The registry match read the current version already; a fallback or a thread's previous specialist is looked up.
    const version = assignment?.agentVersion ?? routed.version ?? (await this.deps.agents.currentVersions([routed.agentId]))[routed.agentId];
    return {
      kind: 'direct', route: routed.route, reason: routed.reason, notices: [],
      // An agent with no current version (archived meanwhile) is left to the pool, which reports AGENT_NOT_FOUND.
      agent: { agentId: routed.agentId, version: version ?? 0 },
      ...(assignment ? { experiment: { id: assignment.experimentId, arm: assignment.arm } } : {}),
    };
  }

  private async finish(decision: ServingDecision, request: ServingRequest): Promise<ServingDecision> {
    let result = decision;
    for (const policy of this.deps.policies ?? []) result = await policy.apply(result, request);
    return result;
  }
}

function workflowDecision(workflow: WorkflowChoice, experiment?: { id: string; arm: Arm }): ServingDecision {
  return { kind: 'workflow', route: 'workflow', reason: workflow.reason, workflow, notices: [], ...(experiment ? { experiment } : {}) };
}

/** The decision as the run records it (no plan bodies: the goal row keeps the plan). */
export function servingRecord(decision: ServingDecision): ServingRecord {
  return {
    route: decision.route, routeReason: decision.reason,
    ...(decision.agent ? { agent: decision.agent } : {}),
    ...(decision.workflow ? { workflow: { id: decision.workflow.id, version: decision.workflow.version } } : {}),
    ...(decision.experiment ? { experiment: decision.experiment } : {}),
    detail: {
      kind: decision.kind,
      ...(decision.agent ? { agent: decision.agent } : {}),
      ...(decision.model ? { model: decision.model } : {}),
      ...(decision.workflow ? { workflow: { id: decision.workflow.id, name: decision.workflow.name, version: decision.workflow.version } } : {}),
      ...(decision.experiment ? { experiment: decision.experiment } : {}),
      ...(decision.cached ? { cache: { entryId: decision.cached.entryId, sourceRunId: decision.cached.sourceRunId } } : {}),
      ...(decision.notices.length ? { notices: decision.notices } : {}),
    },
  };
}
