import { userMessageFor } from '../model/model-errors.js';
import { asAppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import { withRun } from '../ops/run-context.js';
import type { HandleOutcome, RequestContext } from '../orchestrator/context.js';
import type { AgentSource } from '../orchestrator/direct-answer.js';
import type { PlanPath } from '../orchestrator/orchestrator.js';
import type { Surface } from '../surface/surface.js';
import type { RunLog } from '../runlog/run-log.js';
import { sanitizeAnswer } from '../safety/output-safety.js';
import type { ServingDecision } from '../serving/serving.js';
import type { AgentStore } from '../store/agents.js';
import type { GoalRow, GoalStore } from '../store/goals.js';
import type { RunStore } from '../store/runs.js';
import type { WorkflowStore } from '../store/workflows.js';
import type { GoalOutcome, GoalRunner } from './goal-runner.js';
import type { Plan } from './plan.js';
import type { Planner } from './planner.js';

export interface GoalPathDeps {
  runner: GoalRunner;
  planner: Planner | null;
  runLog: RunLog;
  store: {
    agents: Pick<AgentStore, 'list'>; runs: Pick<RunStore, 'renewLease'>; goals: Pick<GoalStore, 'claimStale' | 'update'>;
    workflows?: Pick<WorkflowStore, 'recordUse'>;
  };
  agents: AgentSource;
  maxTasks: number;
  /** Goals may run longer than a direct answer: their run keeps its lease this long. */
  goalSeconds: number;
  /** The specialist that writes the final answer from the task results. */
  synthesisAgentId?: string;
  /** Keep each delivered answer on its run (screening and the cache read it). */
  keepAnswers?: boolean;
  /** True while the database is unreachable (src/outage): goals keep their state there, so they are not run. */
  storeDown?: () => boolean;
}

interface GoalRoute {
  plan: Plan;
  /** A budget downgrade's model for every task and the synthesis. */
  model?: string;
  notices?: string[];
  label: string;
  route: string;
  reason: string;
  workflowId?: string;
  resume?: GoalRow;
}

/**
 * The task-graph route: a workflow the serving decision chose is replayed without a planning call; a goal is
 * planned (structured output, validated, repaired once) and run; then one synthesis call turns the task results
 * into the answer. A goal that cannot be planned returns null, so one specialist answers it directly with a note.
 */
export class GoalPath implements PlanPath {
  constructor(private readonly deps: GoalPathDeps) {}

  async answer(ctx: RequestContext, decision: ServingDecision): Promise<HandleOutcome | null> {
    if (this.deps.storeDown?.()) {
      // null: the orchestrator answers directly, as for a goal that cannot be planned; the user is told why.
      await ctx.surface.notify("_My database is unreachable right now, so I can't run this as a planned goal (goals keep their progress there). Here is a direct answer instead; ask again once it is back for the full plan._");
      return null;
    }
    if (decision.kind === 'workflow' && decision.workflow) {
      const workflow = decision.workflow;
      return this.runAndAnswer(ctx, { plan: workflow.plan, label: `Workflow: ${workflow.name}`, route: 'workflow', reason: decision.reason, workflowId: workflow.id,
        ...(decision.model ? { model: decision.model } : {}), notices: decision.notices });
    }
    const plan = await this.plan(ctx, decision.goalText ?? ctx.text);
    if (!plan) return null;
    return this.runAndAnswer(ctx, { plan, label: `Goal · ${plan.tasks.length} tasks`, route: 'goal', reason: decision.reason,
      ...(decision.model ? { model: decision.model } : {}), notices: decision.notices });
  }

  /** A plan from the planner model, or null (no planner, or no usable plan after one repair). */
  private async plan(ctx: RequestContext, text: string): Promise<Plan | null> {
    const { deps } = this;
    if (!deps.planner) return null;
    await ctx.surface.setStatus('Planning…');
    const specialties = (await deps.store.agents.list({ limit: 50 })).agents.map((a) => a.specialty);
    const planned = await deps.planner.plan(text, { specialties, maxTasks: deps.maxTasks, deadline: ctx.deadline, meter: ctx.meter });
    for (const problems of planned.rejected) {
      await deps.runLog.step(ctx.runId, { kind: 'note', name: 'plan rejected', status: 'error', errorClass: 'MODEL_BAD_OUTPUT', detail: { problems } });
    }
    if (planned.ok) return planned.plan;
    ctx.logger.warn({ reason: planned.reason }, 'no usable plan; answering directly');
    await ctx.surface.notify('_I could not break this into a plan, so here is a direct answer._');
    return null;
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
      const runLogger = logger.child({ runId: goal.runId, goalId: goal.id });
      const message = {
        workspaceId: goal.workspaceId, surface: 'slack' as const, userId: goal.userId ?? 'unknown', text: goal.requestText, history: [],
        participants: goal.userId ? [goal.userId] : [], ...(goal.channelId ? { channelId: goal.channelId } : {}), ...(goal.threadTs ? { threadTs: goal.threadTs } : {}),
      };
      const ctx: RequestContext = {
        runId: goal.runId, text: goal.requestText, inputCut: false, surface, started, deadline: started + this.deps.goalSeconds * 1000,
        logger: runLogger, message, meter: this.deps.runLog.meter(goal.runId, runLogger), unitKey: `${goal.workspaceId}:${goal.channelId}:${goal.threadTs}`,
        sanitize: (text) => sanitizeAnswer(text, { inputText: goal.requestText, participants: goal.userId ? [goal.userId] : [] }).text,
      };
      void withRun(goal.runId, () => this.runAndAnswer(ctx, {
        plan: goal.plan, label: `Goal · ${goal.plan.tasks.length} tasks (resumed)`, route: 'goal', reason: 'resumed after a restart', resume: goal,
      })).catch((error: unknown) => logger.error({ err: error, goalId: goal.id }, 'resumed goal failed'));
    }
    return goals.length;
  }

  private async runAndAnswer(ctx: RequestContext, route: GoalRoute): Promise<HandleOutcome> {
    const { deps } = this;
    const { message, runId } = ctx;
    await deps.store.runs.renewLease(runId, deps.goalSeconds + 120).catch(() => {});
    let outcome: GoalOutcome;
    try {
      outcome = await deps.runner.run({
        runId, workspaceId: message.workspaceId, userId: message.userId, request: ctx.text, surface: ctx.surface, plan: route.plan, meter: ctx.meter,
        ...(route.model ? { model: route.model } : {}),
        ...(message.channelId ? { channelId: message.channelId } : {}), ...(message.threadTs ? { threadTs: message.threadTs } : {}),
        ...(route.resume ? { resume: route.resume } : {}),
      });
    } catch (raw) {
      const error = asAppError(raw);
      await ctx.surface.notify(userMessageFor(error));
      await deps.runLog.finish(runId, { status: 'failed', route: route.route, routeReason: route.reason, errorClass: error.code, errorMessage: error.message });
      return { kind: 'failed', runId, errorCode: error.code };
    }
    if (outcome.stoppedBy === 'lost_ownership') return { kind: 'refused', runId, reason: 'another instance took this goal over' };
    const text = await this.synthesize(ctx, route.plan, outcome, route.model);
    const seconds = ((Date.now() - ctx.started) / 1000).toFixed(1);
    const answer = await ctx.surface.startAnswer();
    const finalText = ctx.sanitize([text, ...outcome.notes.map((n) => `_${n}_`), ...(route.notices ?? [])].filter(Boolean).join('\n\n'));
    const specialists = `${outcome.agentIds.length} specialist${outcome.agentIds.length === 1 ? '' : 's'}`;
    const delivery = await answer.finish(finalText, { footer: `${route.label} · ${specialists} · ${seconds} s`, runId });
    const status = outcome.status === 'cancelled' ? 'cancelled' : outcome.results.length === 0 ? 'failed' : 'succeeded';
    await deps.runLog.finish(runId, {
      status, route: route.route, routeReason: route.reason, agentIds: outcome.agentIds, delivered: delivery.delivered,
      latencyMs: Date.now() - ctx.started, ...(delivery.ts ? { answerTs: delivery.ts } : {}),
      ...(route.workflowId ? { workflowId: route.workflowId } : {}),
      ...(status === 'failed' ? { errorClass: 'GOAL_FAILED' as const, errorMessage: outcome.notes.join(' ') } : {}),
      ...(deps.keepAnswers && status === 'succeeded' ? { answerText: finalText } : {}),
    });
    if (route.workflowId) await deps.store.workflows?.recordUse(route.workflowId, runId, status === 'succeeded').catch(() => {});
    return status === 'failed' ? { kind: 'failed', runId, errorCode: 'GOAL_FAILED' } : { kind: 'answered', runId, delivered: delivery.delivered, text: finalText };
  }

  /**
   * One task: its result is the answer. Several: one model call combines them (recorded as 'synthesis'), unless
   * the goal's budget is already spent — then the results are posted as they are.
   */
  private async synthesize(ctx: RequestContext, plan: Plan, outcome: GoalOutcome, model?: string): Promise<string> {
    const asTheyAre = () => outcome.results.map(({ task, result }) => `*${task.title}*\n${result}`).join('\n\n');
    if (outcome.results.length === 0) return 'None of the tasks could be completed.';
    if (plan.tasks.length === 1) return outcome.results[0]!.result;
    if (ctx.meter.costUsd >= outcome.budget.maxCostUsd || ctx.meter.tokens >= outcome.budget.maxTokens) return asTheyAre();
    await ctx.surface.setStatus('Writing the final answer…');
    const agentId = this.deps.synthesisAgentId ?? 'general';
    let lease: Awaited<ReturnType<AgentSource['acquire']>> | undefined;
    try {
      lease = await this.deps.agents.acquire(agentId);
      const sections = outcome.results.map(({ task, result }) => `### ${task.title}\n${result.slice(0, 8000)}`).join('\n\n');
      const missing = outcome.notes.length ? `\n\nNot done: ${outcome.notes.join(' ')}` : '';
      const result = await lease.agent.run({
        text: `Combine these task results into one coherent answer to the request "${ctx.text.slice(0, 1500)}". ` +
          `Keep every deliverable, remove repetition, and do not invent results for tasks that are missing.${missing}\n\n${sections}`,
        deadline: Math.max(ctx.deadline, Date.now() + 60_000), meter: ctx.meter, ...(model ? { model } : {}), stepKind: 'synthesis', stepName: 'synthesis', stepDetail: { goalId: outcome.goalId, synthesis: true },
      });
      return result.text;
    } catch (raw) {
      // The results are still worth delivering even when the combining call fails.
      ctx.logger.warn({ err: asAppError(raw).code }, 'synthesis failed; posting the task results as they are');
      return asTheyAre();
    } finally {
      lease?.release();
    }
  }
}
