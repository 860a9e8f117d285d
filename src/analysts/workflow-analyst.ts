import type { AgentConfig } from '../store/agents.js';
import type { AnalystStore, GapCandidate, InductionCandidate } from '../store/analysts.js';
import type { EnhancementStore } from '../store/enhancements.js';
import type { WorkflowStore } from '../store/workflows.js';
import type { RunMeter } from '../model/run-meter.js';
import { pct } from '../text/format.js';
import type { AnalystJob, JobContext, JobResult } from './job.js';

export interface WorkflowAnalystDeps {
  store: { analysts: Pick<AnalystStore, 'workflows' | 'markPattern'>; workflows: Pick<WorkflowStore, 'save' | 'setStatus'>;
    enhancements: Pick<EnhancementStore, 'propose'> };
  /** Drafts a specialist (candidate, not live) for a capability gap; charged to the analyst's run. Absent: no model. */
  draft?: (need: string, meter: RunMeter) => Promise<AgentConfig>;
  /** Occurrences for weak / moderate / strong / very strong (PATTERN_THRESHOLDS). */
  thresholds: number[];
  /** Success rate a pattern needs to be strong (and a recurring goal to be induced). */
  minSuccess: number;
  /** Runs are read once they finished this long ago (default 1 s; tests use 0). */
  settleSeconds?: number;
}

/**
 * Recurring requests into patterns (strength from frequency and success); a strong, successful recurring goal
 * into an induced workflow (its latest successful task graph, the requests as triggers) saved as a candidate — it
 * serves nobody until the improvement loop's experiment shows it helps; and a recurring request that goes badly,
 * or that only the general assistant serves, into a drafted specialist, also a candidate.
 */
export class WorkflowAnalyst implements AnalystJob {
  readonly name = 'workflows' as const;

  constructor(private readonly deps: WorkflowAnalystDeps) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const pass = await this.deps.store.analysts.workflows(ctx.job, ctx.generation, {
      thresholds: this.deps.thresholds, minSuccess: this.deps.minSuccess, ...(this.deps.settleSeconds !== undefined ? { settleSeconds: this.deps.settleSeconds } : {}),
    });
    if (!pass.ok) return { ok: false, rowsRead: 0, findings: 0, proposals: 0, summary: ['another instance took this run over'] };
    const induced: string[] = [];
    for (const candidate of pass.induce) {
      const name = await this.induce(candidate, ctx).catch((error: unknown) => { ctx.logger.warn({ err: error, pattern: candidate.signature }, 'workflow not induced'); return null; });
      if (name) induced.push(name);
    }
    const drafted: string[] = [];
    for (const gap of pass.gaps) {
      const agentId = await this.draftFor(gap, ctx).catch((error: unknown) => { ctx.logger.warn({ err: error, pattern: gap.signature }, 'no specialist drafted for a gap'); return null; });
      if (agentId) drafted.push(agentId);
    }
    return {
      rowsRead: pass.rowsRead, findings: pass.patterns, proposals: induced.length + drafted.length,
      summary: [`${pass.rowsRead} runs read; ${pass.patterns} pattern${pass.patterns === 1 ? '' : 's'} updated`,
        ...(induced.length ? [`induced workflow${induced.length === 1 ? '' : 's'} (candidate): ${induced.map((n) => `\`${n}\``).join(', ')}`] : []),
        ...(drafted.length ? [`specialist${drafted.length === 1 ? '' : 's'} drafted for gaps (candidate): ${drafted.map((n) => `\`${n}\``).join(', ')}`] : [])],
      detail: { induced, drafted },
    };
  }

  private async induce(c: InductionCandidate, ctx: JobContext): Promise<string | null> {
    const base = slug(c.signature);
    for (let n = 1; n < 20; n++) {
      const name = n === 1 ? base : `${base.slice(0, 58)}-${n}`;
      const saved = await this.deps.store.workflows.save({
        workspaceId: c.workspaceId, name, graph: c.plan, kind: 'induced', triggers: c.examples.slice(0, 3),
        description: `Learned from ${c.goalRuns} recurring goals (${pct(c.successRate ?? 0)} succeeded), e.g. “${(c.examples[0] ?? '').slice(0, 120)}”`,
        createdBy: 'workflow-analyst',
      });
      if (!saved.ok) continue;
      const workflow = saved.workflow;
      await this.deps.store.workflows.setStatus(workflow.id, 'candidate', 'workflow-analyst', `induced from pattern "${c.signature}"`);
      await this.deps.store.analysts.markPattern(c.patternId, { workflowId: workflow.id });
      await this.deps.store.enhancements.propose({
        source: 'analytics', targetKind: 'workflow', targetId: workflow.id, category: 'induced_workflow',
        change: { workflowId: workflow.id, name, patternId: c.patternId, tasks: c.plan.tasks.length },
        expectedImpact: 'replays the task graph without a planning call: faster and cheaper at equal success',
        reasons: `${c.goalRuns} goals like “${(c.examples[0] ?? '').slice(0, 80)}”, ${pct(c.successRate ?? 0)} succeeded`, sourceRunId: ctx.runId,
      });
      return name;
    }
    return null;
  }

  private async draftFor(gap: GapCandidate, ctx: JobContext): Promise<string | null> {
    await this.deps.store.analysts.markPattern(gap.patternId, { gapHandled: true });
    if (!this.deps.draft) return null;
    const why = gap.why === 'low_success' ? `only ${pct(gap.successRate ?? 0)} of them succeed`
      : gap.why === 'low_rating' ? `they are rated ${gap.avgRating}/5 on average` : 'no specialist covers them (the general assistant answers)';
    const need = `Requests like these recur in the workspace (${gap.occurrences} so far) and ${why}:\n${gap.examples.map((e) => `- ${e.slice(0, 300)}`).join('\n')}`;
    const config = await this.deps.draft(need, ctx.meter);
    await this.deps.store.enhancements.propose({
      source: 'analytics', targetKind: 'routing', targetId: gap.patternId, category: 'new_specialist',
      change: { agentId: config.agentId, version: config.version, signature: gap.signature, examples: gap.examples.slice(0, 3), servedBy: gap.agents },
      expectedImpact: 'better answers for a recurring kind of request', reasons: `${gap.occurrences} requests; ${why}`, sourceRunId: ctx.runId,
    });
    return config.agentId;
  }
}

/** "report sale week write" → "report-sale-week" (a workflow name from the pattern's words). */
function slug(signature: string): string {
  const words = signature.split(' ').filter((w) => /^[a-z0-9]+$/.test(w)).slice(0, 4);
  return (words.join('-') || 'learned').slice(0, 60);
}
