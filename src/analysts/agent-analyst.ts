import type { AgentPerformance, AnalystStore } from '../store/analysts.js';
import type { AgentStore } from '../store/agents.js';
import type { EnhancementStore } from '../store/enhancements.js';
import { pct } from '../text/format.js';
import type { AnalystJob, JobContext, JobResult } from './job.js';

export interface AgentAnalystDeps {
  store: { analysts: Pick<AnalystStore, 'rollup' | 'agentPerformance' | 'complaints'>; enhancements: Pick<EnhancementStore, 'propose'>;
    agents: Pick<AgentStore, 'currentVersions'> };
  /** Runs count once their correction window passed (OUTCOME_WINDOW_SECONDS). */
  settleSeconds: number;
  /** Fewer runs than this in the window: too little to judge. */
  minRuns: number;
  /** How far below its peers (success) or above them (corrections) a version must be to be flagged. */
  margin: number;
  now?: () => number;
}

/**
 * Each specialist version against its peers over the last 7 days (success, corrections, ratings, latency, cost),
 * from the hourly rollup. An underperformer gets a prompt-revision proposal carrying the negative feedback it drew
 * (the improvement loop drafts and screens the revision before any user sees it).
 */
export class AgentAnalyst implements AnalystJob {
  readonly name = 'agents' as const;

  constructor(private readonly deps: AgentAnalystDeps) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const { store } = this.deps;
    const rolled = await store.analysts.rollup(ctx.job, ctx.generation, this.deps.settleSeconds);
    if (!rolled.ok) return { ok: false, rowsRead: 0, findings: 0, proposals: 0, summary: ['another instance took this run over'] };
    const since = new Date((this.deps.now?.() ?? Date.now()) - 7 * 86_400_000);
    const { overall, agents } = await store.analysts.agentPerformance(since, this.deps.minRuns);
    // Only the versions serving now: a replaced version's record (or a rejected candidate's, from its experiment)
    // says nothing about the current prompt, and a revision drafted from it would answer complaints already fixed.
    const current = await store.agents.currentVersions([...new Set(agents.map((a) => a.agentId))]);
    const weak = agents.filter((a) => current[a.agentId] === a.version && this.underperforms(a, overall));
    let proposals = 0;
    for (const agent of weak) {
      const complaints = await store.analysts.complaints(agent.agentId, since, 10);
      const filed = await store.enhancements.propose({
        source: 'analytics', targetKind: 'agent', targetId: agent.agentId, category: 'prompt_revision',
        change: { baseVersion: agent.version, complaints },
        expectedImpact: 'fewer corrections and better ratings at equal cost',
        reasons: this.why(agent, overall), sourceRunId: ctx.runId,
      });
      if (filed) proposals++;
    }
    return {
      rowsRead: rolled.rowsRead, findings: weak.length, proposals,
      summary: [`${agents.length} specialist version${agents.length === 1 ? '' : 's'} compared over 7 days`,
        ...weak.map((a) => `underperforming: \`${a.agentId}\` v${a.version} — ${this.why(a, overall)}`)],
      detail: { agents },
    };
  }

  private underperforms(a: AgentPerformance, overall: { successRate: number | null; correctedRate: number | null }): boolean {
    const m = this.deps.margin;
    return (a.successRate !== null && overall.successRate !== null && a.successRate < overall.successRate - m)
      || (a.correctedRate !== null && overall.correctedRate !== null && a.correctedRate > overall.correctedRate + m)
      || (a.avgRating !== null && a.ratings >= 5 && a.avgRating < 3);
  }

  private why(a: AgentPerformance, overall: { successRate: number | null; correctedRate: number | null }): string {
    return [`${a.runs} runs`, a.successRate !== null ? `${pct(a.successRate)} succeeded (all: ${pct(overall.successRate ?? 0)})` : '',
      a.correctedRate !== null ? `${pct(a.correctedRate)} corrected (all: ${pct(overall.correctedRate ?? 0)})` : '',
      a.avgRating !== null ? `rated ${a.avgRating}/5` : ''].filter(Boolean).join(', ');
  }
}
