import type { AgentPool } from '../agents/agent-pool.js';
import type { ModelCatalogue } from '../config/models.js';
import type { Models } from '../model/models.js';
import type { RunMeter } from '../model/run-meter.js';
import type { AdminNotices } from '../ops/admin-notices.js';
import type { Logger } from '../ops/logger.js';
import type { Enhancement } from '../store/enhancements.js';
import type { Experiment } from '../store/experiments.js';
import type { Store } from '../store/store.js';
import { candidatesFor, type Candidate } from './candidates.js';
import { describeTarget, explain as explainRecord, type DecisionRecord } from './describe.js';
import type { ExperimentArms } from './experiment-arms.js';
import { screen } from './screening.js';
import { decide, watchAfterPromotion, type ExperimentResult, type TargetDirection } from './stats/index.js';

export interface LoopSettings {
  trafficShare: number;
  maxTraffic: number;
  minSamples: number;
  /**
   * EXPERIMENT_MAX_SAMPLES: both arms together; at the cap an undecided experiment stops (the current version stays).
   * Without a cap, a change that makes no measurable difference would run forever and, since an agent has one
   * experiment at a time, block every later proposal for that agent.
   */
  maxSamples?: number;
  margin: number;
  approval: 'auto' | 'admin';
  screenSamples: number;
  plannerModel: string;
  cacheTtlSeconds: number;
  /** How long after a promotion its score is watched for a drop (rollback). */
  watchDays?: number;
}

export interface LoopDeps {
  store: Store;
  pool: Pick<AgentPool, 'acquire'>;
  arms: Pick<ExperimentArms, 'forget'>;
  models: Models;
  catalogue: ModelCatalogue;
  notices: AdminNotices & { ask?(text: string, experimentId: string): Promise<void> };
  logger: Logger;
  settings: LoopSettings;
  now?: () => number;
}

/** EXPERIMENT_MAX_SAMPLES' default, for callers that build settings by hand. */
const DEFAULT_MAX_SAMPLES = 4000;

/**
 * Open proposals read per pass. enhancement_list filters by status only, so the testable ones are picked out here;
 * a category filter in SQL would make this bound unnecessary.
 */
const PROPOSALS_SCANNED = 5000;

/** The proposals the loop turns into experiments (the analysts file them). */
const TESTABLE = ['cheaper_model', 'prompt_revision', 'induced_workflow', 'response_cache'];

/** What each kind of change is meant to improve. */
const TARGET: Record<string, { metric: 'cost' | 'score' | 'latency'; direction: TargetDirection }> = {
  cheaper_model: { metric: 'cost', direction: 'lower_is_better' },
  prompt_revision: { metric: 'score', direction: 'higher_is_better' },
  induced_workflow: { metric: 'latency', direction: 'lower_is_better' },
  response_cache: { metric: 'latency', direction: 'lower_is_better' },
};

export interface LoopReport {
  started: string[];
  rejectedInScreening: string[];
  promoted: string[];
  rejected: string[];
  rolledBack: string[];
  awaitingApproval: string[];
  cached: number;
  /** Why no new experiment could start this pass, when open proposals had to wait (the traffic cap). */
  held?: string;
}

/**
 * The improvement loop: every proposal is tried against the current version and kept only when it measurably
 * helps. Proposal → candidate (a version that serves nobody yet) → screening (replayed requests, judged against
 * the current answers) → live experiment (a share of matching threads, sticky) → sequential decision (always-
 * valid under continuous peeking: non-inferior on success, better on its target) → promotion (a new current
 * version), or rejection → a watch window after promotion that rolls the change back if its score drops.
 */
export class ExperimentLoop {
  private readonly now: () => number;

  constructor(private readonly deps: LoopDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** EXPERIMENT_MIN_SAMPLES: runs per arm before any decision (reports say what a running experiment still needs). */
  get minSamples(): number {
    return this.deps.settings.minSamples;
  }

  async pass(meter: RunMeter): Promise<LoopReport> {
    const report: LoopReport = { started: [], rejectedInScreening: [], promoted: [], rejected: [], rolledBack: [], awaitingApproval: [], cached: 0 };
    report.cached = await this.fillCache();
    for (const experiment of await this.deps.store.experiments.list('running')) await this.evaluate(experiment, report);
    await this.watch(report);
    await this.startNew(meter, report);
    return report;
  }

  /** A decision an admin approved (Slack button or /improver approve): promote it now. */
  async approve(experimentId: string, approver: string, approved: boolean): Promise<string> {
    const [experiment] = (await this.deps.store.experiments.list('running')).filter((e) => e.id === experimentId || e.id.startsWith(experimentId));
    if (!experiment) return 'That experiment is not running any more.';
    const enhancement = experiment.enhancementId ? await this.deps.store.enhancements.get(experiment.enhancementId) : null;
    if (!enhancement) return 'That experiment has no proposal on record.';
    const decision = (enhancement.change.pendingDecision ?? null) as Record<string, unknown> | null;
    if (approved) {
      await this.apply(experiment, enhancement, decision ?? {}, approver);
      return `Promoted: ${describeTarget(experiment)} (${enhancement.category}), approved by <@${approver}>.`;
    }
    await this.reject(experiment, enhancement, 'rejected', [`rejected by <@${approver}>`], decision ?? {});
    return `Rejected: ${describeTarget(experiment)} (${enhancement.category}), by <@${approver}>.`;
  }

  /** An admin stops an experiment (nothing changes) or rolls a promoted change back. */
  async stop(experimentId: string, actor: string): Promise<string> {
    const experiment = (await this.deps.store.experiments.list()).find((e) => e.id === experimentId || e.id.startsWith(experimentId));
    if (!experiment) return 'No such experiment.';
    const enhancement = experiment.enhancementId ? await this.deps.store.enhancements.get(experiment.enhancementId) : null;
    if (experiment.status === 'running') {
      await this.reject(experiment, enhancement, 'stopped', [`stopped by <@${actor}>`], {});
      return `Stopped the experiment on ${describeTarget(experiment)}; the current version keeps serving.`;
    }
    if (experiment.status === 'promoted') {
      await this.rollback(experiment, enhancement, [`rolled back by <@${actor}>`], actor);
      return `Rolled back ${describeTarget(experiment)} to the version it replaced.`;
    }
    return `That experiment already ended (${experiment.status}).`;
  }

  private async fillCache(): Promise<number> {
    const cached = await this.cachedAgents();
    const experimenting = (await this.deps.store.experiments.list('running')).filter((e) => e.targetKind === 'cache').map((e) => `${e.targetId}@${e.controlVersion}`);
    const refs = [...new Set([...cached, ...experimenting])];
    return this.deps.store.cache.fill(refs, new Date(this.now() - 7 * 86_400_000), this.deps.settings.cacheTtlSeconds);
  }

  /** agent@version refs whose answers may be served from the cache (promoted cache policies). */
  private async cachedAgents(): Promise<string[]> {
    const current = await this.deps.store.agents.currentVersions(await this.cachePolicyAgents());
    return Object.entries(current).map(([agentId, version]) => `${agentId}@${version}`);
  }

  private async cachePolicyAgents(): Promise<string[]> {
    return (await this.deps.store.experiments.list('promoted')).filter((e) => e.targetKind === 'cache').map((e) => e.targetId);
  }

  private async evaluate(experiment: Experiment, report: LoopReport): Promise<void> {
    const enhancement = experiment.enhancementId ? await this.deps.store.enhancements.get(experiment.enhancementId) : null;
    const target = TARGET[enhancement?.category ?? ''] ?? TARGET.prompt_revision!;
    const stats = await this.deps.store.experiments.stats(experiment.id);
    if (!stats.candidate || !stats.control) return;
    const result = decide({
      success: { candidate: stats.candidate.success, control: stats.control.success },
      target: { candidate: stats.candidate[target.metric], control: stats.control[target.metric], direction: target.direction },
      // The mixture is tuned for where decisions are expected: a few times the minimum sample (the interval is
      // tightest near its tuning point and valid everywhere).
      options: {
        nonInferiorityMargin: this.deps.settings.margin, minSamplesPerArm: this.deps.settings.minSamples, expectedSampleSize: 4 * this.deps.settings.minSamples,
        maxSamples: Math.max(this.deps.settings.maxSamples ?? DEFAULT_MAX_SAMPLES, 2 * this.deps.settings.minSamples),
      },
    });
    const decision = {
      decision: result.decision, reasons: result.reasons, samples: { candidate: stats.candidate.n, control: stats.control.n }, target,
      before: mean(stats.control[target.metric]), after: mean(stats.candidate[target.metric]),
      successBefore: mean(stats.control.success), successAfter: mean(stats.candidate.success),
      interval: { target: result.intervals.target, success: result.intervals.success }, margin: this.deps.settings.margin,
    };
    if (result.decision === 'continue') return;
    if (result.decision === 'promote') {
      if (this.deps.settings.approval === 'admin' && enhancement && !enhancement.approvedBy) {
        if (!enhancement.change.pendingDecision) {
          await this.deps.store.enhancements.update(enhancement.id, { change: { pendingDecision: decision } });
          const text = `*Ready to promote:* ${describeTarget(experiment)} — ${explain(enhancement, decision)}. Approve to make it current.`;
          await (this.deps.notices.ask ? this.deps.notices.ask(text, experiment.id) : this.deps.notices.post(`${text} Run \`/improver approve ${experiment.id.slice(0, 8)}\`.`));
        }
        report.awaitingApproval.push(experiment.id);
        return;
      }
      await this.apply(experiment, enhancement, decision, 'improver');
      report.promoted.push(`${describeTarget(experiment)}: ${enhancement ? explain(enhancement, decision) : ''}`);
      return;
    }
    await this.reject(experiment, enhancement, result.decision === 'reject' ? 'rejected' : 'stopped', result.reasons, decision);
    report.rejected.push(`${describeTarget(experiment)}: ${result.reasons.join('; ')}`);
  }

  private async apply(experiment: Experiment, enhancement: Enhancement | null, decision: Record<string, unknown>, actor: string): Promise<void> {
    const { store } = this.deps;
    const reason = enhancement ? explain(enhancement, decision) : 'won its experiment';
    if (experiment.targetKind === 'agent') await store.agents.promote(experiment.targetId, experiment.candidateVersion!, actor, reason);
    if (experiment.targetKind === 'workflow') await store.workflows.setStatus(experiment.targetId, 'active', actor, reason);
    await store.experiments.finish(experiment.id, 'promoted', { ...decision, approvedBy: actor });
    if (enhancement) {
      await store.enhancements.update(enhancement.id, {
        status: 'applied', measuredImpact: decision, reasons: reason, ...(actor !== 'improver' ? { approvedBy: actor } : {}),
        change: { promotedAt: new Date(this.now()).toISOString() },
      });
      await this.propagate(experiment, enhancement);
    }
    this.deps.arms.forget({ kind: experiment.targetKind, id: experiment.targetId });
    await this.deps.notices.post(`*Improvement applied:* ${describeTarget(experiment)} — ${reason}.`).catch(() => {});
  }

  private async reject(experiment: Experiment, enhancement: Enhancement | null, status: 'rejected' | 'stopped', reasons: string[], decision: Record<string, unknown>): Promise<void> {
    const { store } = this.deps;
    if (experiment.targetKind === 'agent' && experiment.candidateVersion) {
      await store.agents.reject(experiment.targetId, experiment.candidateVersion, 'improver', reasons.join('; ').slice(0, 500));
    }
    if (experiment.targetKind === 'workflow') await store.workflows.setStatus(experiment.targetId, 'archived', 'improver', reasons.join('; ').slice(0, 500));
    await store.experiments.finish(experiment.id, status, { ...decision, reasons });
    if (enhancement) await store.enhancements.update(enhancement.id, { status: 'rejected', measuredImpact: decision, reasons: reasons.join('; ') });
    this.deps.arms.forget({ kind: experiment.targetKind, id: experiment.targetId });
  }

  private async rollback(experiment: Experiment, enhancement: Enhancement | null, reasons: string[], actor: string): Promise<void> {
    const { store } = this.deps;
    if (experiment.targetKind === 'agent' && experiment.controlVersion) {
      await store.agents.rollback(experiment.targetId, experiment.controlVersion, actor, reasons.join('; ').slice(0, 500));
    }
    if (experiment.targetKind === 'workflow') await store.workflows.setStatus(experiment.targetId, 'archived', actor, reasons.join('; ').slice(0, 500));
    await store.experiments.finish(experiment.id, 'rolled_back', { ...(experiment.decision ?? {}), rollback: reasons });
    if (enhancement) await store.enhancements.update(enhancement.id, { status: 'rolled_back', reasons: reasons.join('; ') });
    this.deps.arms.forget({ kind: experiment.targetKind, id: experiment.targetId });
    await this.deps.notices.post(`*Rolled back:* ${describeTarget(experiment)} — ${reasons.join('; ')}.`).catch(() => {});
  }

  /** Every applied change is watched: a score that drops below what it showed in its experiment rolls it back. */
  private async watch(report: LoopReport): Promise<void> {
    const since = this.now() - (this.deps.settings.watchDays ?? 14) * 86_400_000;
    for (const experiment of await this.deps.store.experiments.list('promoted')) {
      if (!experiment.endedAt || Date.parse(experiment.endedAt) < since) continue;
      const baseline = (await this.deps.store.experiments.stats(experiment.id)).candidate?.score;
      if (!baseline || baseline.count === 0) continue;
      const recent = await this.deps.store.experiments.targetStats(experiment.targetKind, experiment.targetId,
        experiment.targetKind === 'agent' ? experiment.candidateVersion : experiment.controlVersion, new Date(experiment.endedAt));
      const result = watchAfterPromotion(baseline, recent, { direction: 'higher_is_better', margin: 0.05, minSamples: this.deps.settings.minSamples });
      if (result.action !== 'rollback') continue;
      const enhancement = experiment.enhancementId ? await this.deps.store.enhancements.get(experiment.enhancementId) : null;
      await this.rollback(experiment, enhancement, [`score dropped after promotion: ${result.reasons.join('; ')}`], 'improver');
      report.rolledBack.push(describeTarget(experiment));
    }
  }

  private async startNew(meter: RunMeter, report: LoopReport): Promise<void> {
    const { store, settings } = this.deps;
    const traffic = await store.experiments.traffic(new Date(this.now() - 3_600_000));
    if (traffic.runs > 0 && traffic.candidate / traffic.runs >= settings.maxTraffic) {
      report.held = `no new experiment: candidates served ${pct(traffic.candidate / traffic.runs)} of the last hour's ${traffic.runs} requests (EXPERIMENT_MAX_TRAFFIC ${pct(settings.maxTraffic)})`;
      return;
    }
    const running = await store.experiments.list('running');
    const busy = new Set(running.map((e) => (e.targetKind === 'workflow' ? e.targetId : `agent:${e.targetId}`)));
    // The list is every open proposal, people's /better ones included (those are for admins, never tested here and
    // never consumed): a short window of the latest would let them bury an older testable proposal for good.
    const proposals = (await store.enhancements.list(['proposed'], PROPOSALS_SCANNED)).filter((e) => TESTABLE.includes(e.category ?? '')).reverse();
    let started = 0;
    for (const proposal of proposals) {
      if (started >= 2) break;
      const key = proposal.targetKind === 'workflow' ? proposal.targetId! : `agent:${proposal.targetId}`;
      if (busy.has(key)) continue; // one experiment per agent (or workflow) at a time
      const candidates = await candidatesFor(proposal, { agents: store.agents, models: this.deps.models, plannerModel: settings.plannerModel }, meter)
        .catch((error: unknown) => { this.deps.logger.warn({ err: error, proposal: proposal.id }, 'no candidate built'); return []; });
      if (candidates.length === 0) {
        await store.enhancements.update(proposal.id, { status: 'rejected', reasons: 'nothing to test: the target changed or the proposal carried no usable change' });
        continue;
      }
      await store.enhancements.update(proposal.id, { status: 'screening' });
      const chosen = await this.screenCandidates(proposal, candidates, meter);
      if (!chosen.candidate) {
        await store.enhancements.update(proposal.id, { status: 'rejected', reasons: `screening: ${chosen.reason}`, measuredImpact: { screening: chosen.reason } });
        report.rejectedInScreening.push(`${proposal.category} on ${proposal.targetId}: ${chosen.reason}`);
        continue;
      }
      const c = chosen.candidate;
      const created = await store.experiments.create({
        targetKind: c.kind, targetId: c.kind === 'workflow' ? c.workflowId : c.agentId, share: settings.trafficShare, enhancementId: proposal.id,
        ...(c.kind === 'agent' ? { controlVersion: c.controlVersion, candidateVersion: c.candidateVersion } : c.kind === 'cache' ? { controlVersion: c.controlVersion } : {}),
      });
      if (!created.ok) { await store.enhancements.update(proposal.id, { status: 'proposed' }); continue; }
      await store.enhancements.update(proposal.id, { status: 'testing', experimentId: created.experiment.id, change: { candidate: c.describe, screening: chosen.reason } });
      this.deps.arms.forget({ kind: c.kind, id: created.experiment.targetId });
      busy.add(key);
      started++;
      report.started.push(`${proposal.category} on ${created.experiment.targetId}: ${c.describe}`);
    }
  }

  /** The best candidate that passes screening (replayed requests judged against the current answers), or why none did. */
  private async screenCandidates(proposal: Enhancement, candidates: Candidate[], meter: RunMeter): Promise<{ candidate?: Candidate; reason: string }> {
    const agentCandidates = candidates.filter((c): c is Extract<Candidate, { kind: 'agent' }> => c.kind === 'agent');
    if (agentCandidates.length === 0 || this.deps.settings.screenSamples === 0) return { candidate: candidates[0]!, reason: 'not screened (nothing to replay for this kind of change)' };
    const samples = await this.deps.store.enhancements.replaySample({ agentId: proposal.targetId!, since: new Date(this.now() - 14 * 86_400_000), limit: this.deps.settings.screenSamples });
    if (samples.length < 3) return { candidate: agentCandidates[0]!, reason: `not screened (${samples.length} logged answers to replay)` };
    let best: { candidate: Candidate; score: number; reason: string } | undefined;
    const reasons: string[] = [];
    for (const candidate of agentCandidates) {
      const lease = await this.deps.pool.acquire(candidate.agentId, candidate.candidateVersion);
      try {
        const result = await screen(lease.agent, samples, { models: this.deps.models, judgeModel: this.deps.settings.plannerModel, catalogue: this.deps.catalogue }, meter);
        const summary = `${result.reason}${result.costRatio !== null ? `, cost ×${result.costRatio.toFixed(2)}` : ''}`;
        reasons.push(summary);
        if (!result.passed) {
          await this.deps.store.agents.reject(candidate.agentId, candidate.candidateVersion, 'improver', `screening: ${summary}`);
          continue;
        }
        const score = result.wins - result.losses;
        if (!best || score > best.score) best = { candidate, score, reason: summary };
      } finally {
        lease.release();
      }
    }
    for (const candidate of agentCandidates) {
      if (best && candidate !== best.candidate) await this.deps.store.agents.reject(candidate.agentId, candidate.candidateVersion, 'improver', 'another draft screened better');
    }
    return best ? { candidate: best.candidate, reason: best.reason } : { reason: reasons.join(' · ') || 'every candidate lost' };
  }

  /** An applied change to a parent is proposed to the agents that inherit from it, as their own experiments. */
  private async propagate(experiment: Experiment, enhancement: Enhancement): Promise<void> {
    if (experiment.targetKind !== 'agent' || !['cheaper_model', 'prompt_revision'].includes(enhancement.category ?? '')) return;
    const { children } = await this.deps.store.agents.lineageOf('agent', experiment.targetId);
    for (const child of children.filter((c) => c.relation === 'inherits' && c.childKind === 'agent')) {
      await this.deps.store.enhancements.propose({
        source: 'peer', targetKind: 'agent', targetId: child.childId, category: enhancement.category!,
        change: { ...enhancement.change, inheritedFrom: experiment.targetId, pendingDecision: undefined },
        expectedImpact: enhancement.expectedImpact ?? undefined, reasons: `applied to its parent ${experiment.targetId}: ${enhancement.reasons ?? ''}`.slice(0, 1000),
      });
    }
  }
}

const explain = (enhancement: Pick<Enhancement, 'category'>, d: Record<string, unknown>) => explainRecord(enhancement, d as DecisionRecord);

const pct = (share: number) => `${Math.round(share * 100)}%`;

function mean(t: { count: number; sum: number }): number | null {
  return t.count > 0 ? t.sum / t.count : null;
}

export type { ExperimentResult };
