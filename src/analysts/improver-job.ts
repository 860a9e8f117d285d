import type { AnalystJob, JobContext, JobResult } from './job.js';
import type { Store } from '../store/store.js';
import type { ExperimentLoop } from '../improvement/experiment-loop.js';

/**
 * The improvement loop on its schedule (IMPROVER_SCHEDULE): settle outcomes (failed at once, accepted once the
 * correction window passed), propose the response cache where questions recur, then one pass of the loop —
 * evaluate running experiments, watch applied changes, start experiments for new proposals.
 */
export class ImproverJob implements AnalystJob {
  readonly name = 'improver' as const;

  constructor(private readonly deps: { store: Store; loop: ExperimentLoop; windowSeconds: number; cacheMinOccurrences: number }) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const { store } = this.deps;
    const settled = await store.runs.settleOutcomes(this.deps.windowSeconds);
    let proposals = 0;
    // An agent whose cache policy already won its experiment is cached: proposing it again would start an experiment
    // that gets no traffic (the policy serves the cache without an arm) and so never ends, holding the agent's slot.
    const cached = new Set((await store.experiments.list('promoted')).filter((e) => e.targetKind === 'cache').map((e) => e.targetId));
    for (const c of (await store.cache.candidates(this.deps.cacheMinOccurrences)).filter((x) => !cached.has(x.agentId))) {
      const filed = await store.enhancements.propose({
        source: 'analytics', targetKind: 'cache', targetId: c.agentId, category: 'response_cache', change: { patterns: c.patterns },
        expectedImpact: 'repeated questions answered at once, at no model cost, where cached answers keep being accepted',
        reasons: `${c.occurrences} requests across ${c.patterns} recurring question${c.patterns === 1 ? '' : 's'}`, sourceRunId: ctx.runId,
      });
      if (filed) proposals++;
    }
    const report = await this.deps.loop.pass(ctx.meter);
    const summary = [
      `outcomes settled: ${settled.accepted} accepted, ${settled.failed} failed`,
      ...report.started.map((s) => `experiment started: ${s}`),
      ...report.rejectedInScreening.map((s) => `dropped in screening: ${s}`),
      ...report.promoted.map((s) => `promoted: ${s}`),
      ...report.rejected.map((s) => `rejected: ${s}`),
      ...report.rolledBack.map((s) => `rolled back: ${s}`),
      ...(report.awaitingApproval.length ? [`${report.awaitingApproval.length} waiting for an admin's approval`] : []),
      ...(report.cached ? [`${report.cached} answers cached`] : []),
      ...(report.held ? [report.held] : []),
    ];
    return {
      rowsRead: settled.accepted + settled.failed, findings: report.promoted.length + report.rejected.length + report.rolledBack.length,
      proposals: proposals + report.started.length, summary, detail: { ...report },
    };
  }
}
