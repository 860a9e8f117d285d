import { userMessageFor } from '../agents/model-errors.js';
import { asAppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import { withRun } from '../ops/run-context.js';
import type { AgentSource, HandleOutcome, PathContext, PlanPath } from '../orchestrator/orchestrator.js';
import type { Surface } from '../orchestrator/surface.js';
import { sanitizeAnswer } from '../safety/output-safety.js';
import type { GoalRow } from '../store/goals.js';
import type { RunLog } from '../runlog/run-log.js';
import type { Store } from '../store/store.js';
import { detectGoal } from './detect-goal.js';
import type { GoalOutcome, GoalRunner } from './goal-runner.js';
import type { Plan } from './plan.js';
import type { Planner } from './planner.js';

/** A saved or induced workflow that matches a request (see src/workflows). */
export interface WorkflowMatch {
  id: string;
  name: string;
  plan: Plan;
}

export interface WorkflowMatcher {
  match(workspaceId: string, text: string): Promise<WorkflowMatch | null>;
  recordUse?(workflowId: string, runId: string, succeeded: boolean): Promise<void>;
}

export interface GoalPathDeps {
  runner: GoalRunner;
  planner: Planner | null;
  runLog: RunLog;
  store: Store;
  agents: AgentSource;
  maxTasks: number;
  /** Goals may run longer than a direct answer: their run keeps its lease this long. */
  goalSeconds: number;
  workflows?: WorkflowMatcher;
  /** The specialist that writes the final answer from the task results. */
  synthesisAgentId?: string;
}

/**
 * The task-graph route: a matching workflow is replayed without a planning call; a recognised goal is planned
 * (structured output, validated, repaired once) and run; then one synthesis call turns the task results into
 * the answer. A goal that cannot be planned returns null, so one specialist answers it directly with a note.
 */
export class GoalPath implements PlanPath {
  constructor(private readonly deps: GoalPathDeps) {}

  async tryAnswer(context: PathContext): Promise<HandleOutcome | null> {
    const { deps } = this;
    const { message, runId, logger } = context;
    const workflow = await deps.workflows?.match(message.workspaceId, context.text).catch(() => null) ?? null;
    let plan: Plan;
    let label: string;
    let route: string;
    let reason: string;
    if (workflow) {
      plan = workflow.plan;
      label = `Workflow: ${workflow.name}`;
      route = 'workflow';
      reason = `matched workflow "${workflow.name}"`;
    } else {
      const detection = detectGoal(context.text);
      if (!detection.isGoal || !deps.planner) return null;
      await context.surface.setStatus('Planning…');
      const specialties = (await deps.store.agents.list({ limit: 50 })).agents.map((a) => a.specialty);
      const planned = await deps.planner.plan(detection.text, { specialties, maxTasks: deps.maxTasks, deadline: context.deadline });
      for (const attempt of planned.attempts) {
        await deps.runLog.modelStep(runId, {
          kind: 'plan', status: attempt.problems ? 'error' : 'ok', model: attempt.model, tokensIn: attempt.tokensIn,
          tokensOut: attempt.tokensOut, latencyMs: attempt.latencyMs, ...(attempt.problems ? { errorClass: 'MODEL_BAD_OUTPUT', detail: { problems: attempt.problems } } : {}),
        });
      }
      if (!planned.ok) {
        logger.warn({ reason: planned.reason }, 'no usable plan; answering directly');
        await context.surface.notify('_I could not break this into a plan, so here is a direct answer._');
        return null;
      }
      plan = planned.plan;
      label = `Goal · ${plan.tasks.length} tasks`;
      route = 'goal';
      reason = detection.reason;
    }

    return this.runAndAnswer(context, { plan, label, route, reason, ...(workflow ? { workflow } : {}) });
  }

  /**
   * Takes over goals whose process died (lease expired) and finishes them from their completed tasks. A goal
   * whose conversation cannot be reached any more (surfaceFor returns null) is marked interrupted.
   */
  async resumeStale(owner: string, surfaceFor: (goal: GoalRow) => Surface | null, logger: Logger): Promise<number> {
    const goals = await this.deps.store.goals.claimStale(owner).catch(() => []);
    for (const goal of goals) {
      const surface = surfaceFor(goal);
      if (!surface) {
        await this.deps.store.goals.update(goal.id, owner, { status: 'interrupted', stopReason: 'process stopped; conversation unreachable' }).catch(() => {});
        await this.deps.runLog.finish(goal.runId, { status: 'interrupted', errorClass: 'SHUTTING_DOWN', errorMessage: 'goal interrupted by a restart' }).catch(() => {});
        continue;
      }
      const done = goal.tasks.filter((t) => t.status === 'succeeded').length;
      logger.info({ goalId: goal.id, done, total: goal.tasks.length }, 'resuming goal after a restart');
      await surface.notify(`_I was restarted while working on this. Resuming: ${done} of ${goal.tasks.length} tasks were already done._`);
      const started = Date.now();
      const context: PathContext = {
        runId: goal.runId, text: goal.requestText, inputCut: false, surface, started, deadline: started + this.deps.goalSeconds * 1000,
        logger: logger.child({ runId: goal.runId, goalId: goal.id }),
        message: {
          workspaceId: goal.workspaceId, surface: 'slack', userId: goal.userId ?? 'unknown', text: goal.requestText,
          ...(goal.channelId ? { channelId: goal.channelId } : {}), ...(goal.threadTs ? { threadTs: goal.threadTs } : {}),
        },
        sanitize: (text) => sanitizeAnswer(text, { inputText: goal.requestText, participants: goal.userId ? [goal.userId] : [] }).text,
      };
      void withRun(goal.runId, () => this.runAndAnswer(context, { plan: goal.plan, label: `Goal · ${goal.plan.tasks.length} tasks (resumed)`, route: 'goal', reason: 'resumed after a restart', resume: goal }))
        .catch((error: unknown) => logger.error({ err: error, goalId: goal.id }, 'resumed goal failed'));
    }
    return goals.length;
  }

  private async runAndAnswer(context: PathContext, route: {
    plan: Plan; label: string; route: string; reason: string; workflow?: WorkflowMatch; resume?: GoalRow;
  }): Promise<HandleOutcome> {
    const { deps } = this;
    const { message, runId } = context;
    const { plan, label, workflow } = route;
    await deps.store.runs.renewLease(runId, deps.goalSeconds + 120).catch(() => {});
    let outcome: GoalOutcome;
    try {
      outcome = await deps.runner.run({
        runId, workspaceId: message.workspaceId, userId: message.userId, request: context.text, surface: context.surface, plan,
        ...(message.channelId ? { channelId: message.channelId } : {}), ...(message.threadTs ? { threadTs: message.threadTs } : {}),
        ...(route.resume ? { resume: route.resume } : {}),
      });
    } catch (raw) {
      const error = asAppError(raw);
      await context.surface.notify(userMessageFor(error));
      await deps.runLog.finish(runId, { status: 'failed', route: route.route, routeReason: route.reason, errorClass: error.code, errorMessage: error.message });
      return { kind: 'failed', runId, errorCode: error.code };
    }
    if (outcome.stoppedBy === 'lost_ownership') return { kind: 'refused', runId, reason: 'another instance took this goal over' };
    const text = await this.synthesize(context, plan, outcome);
    const seconds = ((Date.now() - context.started) / 1000).toFixed(1);
    const answer = await context.surface.startAnswer();
    const finalText = context.sanitize([text, ...outcome.notes.map((n) => `_${n}_`)].filter(Boolean).join('\n\n'));
    const specialists = `${outcome.agentIds.length} specialist${outcome.agentIds.length === 1 ? '' : 's'}`;
    const delivery = await answer.finish(finalText, { footer: `${label} · ${specialists} · ${seconds} s`, runId });
    const status = outcome.status === 'cancelled' ? 'cancelled' : outcome.results.length === 0 ? 'failed' : 'succeeded';
    await deps.runLog.finish(runId, {
      status, route: route.route, routeReason: route.reason, agentIds: outcome.agentIds, delivered: delivery.delivered,
      latencyMs: Date.now() - context.started, ...(delivery.ts ? { answerTs: delivery.ts } : {}),
      ...(workflow ? { workflowId: workflow.id } : {}),
      ...(status === 'failed' ? { errorClass: 'GOAL_FAILED', errorMessage: outcome.notes.join(' ') } : {}),
    });
    if (workflow) await deps.workflows?.recordUse?.(workflow.id, runId, status === 'succeeded').catch(() => {});
    return status === 'failed' ? { kind: 'failed', runId, errorCode: 'GOAL_FAILED' } : { kind: 'answered', runId, delivered: delivery.delivered, text: finalText };
  }

  /** One task: its result is the answer. Several: one model call combines them (recorded as 'synthesis'). */
  private async synthesize(context: PathContext, plan: Plan, outcome: GoalOutcome): Promise<string> {
    if (outcome.results.length === 0) return 'None of the tasks could be completed.';
    if (plan.tasks.length === 1) return outcome.results[0]!.result;
    await context.surface.setStatus('Writing the final answer…');
    const agentId = this.deps.synthesisAgentId ?? 'general';
    const lease = await this.deps.agents.acquire(agentId);
    try {
      const sections = outcome.results.map(({ task, result }) => `### ${task.title}\n${result.slice(0, 8000)}`).join('\n\n');
      const missing = outcome.notes.length ? `\n\nNot done: ${outcome.notes.join(' ')}` : '';
      const result = await lease.agent.run({
        text: `Combine these task results into one coherent answer to the request "${context.text.slice(0, 1500)}". ` +
          `Keep every deliverable, remove repetition, and do not invent results for tasks that are missing.${missing}\n\n${sections}`,
        deadline: Math.max(context.deadline, Date.now() + 60_000),
      });
      await this.deps.runLog.modelStep(context.runId, {
        kind: 'synthesis', status: 'ok', agentId, agentVersion: lease.agent.config.version, model: result.model,
        tokensIn: result.tokensIn, tokensOut: result.tokensOut, latencyMs: result.latencyMs, detail: { goalId: outcome.goalId },
      });
      return result.text;
    } catch (raw) {
      // The results are still worth delivering even when the combining call fails.
      context.logger.warn({ err: asAppError(raw).code }, 'synthesis failed; posting the task results as they are');
      return outcome.results.map(({ task, result }) => `*${task.title}*\n${result}`).join('\n\n');
    } finally {
      lease.release();
    }
  }
}
