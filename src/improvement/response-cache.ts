import type { Logger } from '../ops/logger.js';
import type { ArmChooser } from '../serving/arms.js';
import type { ServingDecision, ServingPolicy, ServingRequest } from '../serving/serving.js';
import type { CacheStore } from '../store/cache.js';
import type { ExperimentStore } from '../store/experiments.js';
import { LRUCache } from 'lru-cache';

/**
 * The response cache at serving time. A question asked again, in a new conversation, to a specialist whose cache
 * policy won its experiment (or whose thread is in a cache experiment's candidate arm) is answered from an earlier
 * accepted answer of the same agent version: no model call. Never in a thread with history (the earlier answer did
 * not see it); entries die on negative feedback, a correction, a new agent version or their TTL (in SQL).
 */
export class CachePolicy implements ServingPolicy {
  private readonly promoted = new LRUCache<string, { on: boolean }>({ max: 1000, ttl: 10_000 });

  constructor(private readonly deps: {
    cache: Pick<CacheStore, 'lookup'>; experiments: Pick<ExperimentStore, 'list'>; arms: ArmChooser; logger: Logger;
  }) {}

  async apply(decision: ServingDecision, request: ServingRequest): Promise<ServingDecision> {
    if (decision.kind !== 'direct' || !decision.agent || decision.model || request.thread || decision.experiment) return decision;
    const agentId = decision.agent.agentId;
    let experiment: ServingDecision['experiment'];
    if (!(await this.isPromoted(agentId))) {
      const assignment = await this.deps.arms.assign({ kind: 'cache', id: agentId }, request.unitKey);
      if (!assignment) return decision;
      experiment = { id: assignment.experimentId, arm: assignment.arm };
      if (assignment.arm === 'control') return { ...decision, experiment };
    }
    const entry = await this.deps.cache.lookup(request.workspaceId, `${agentId}@${decision.agent.version}`, request.text).catch((error: unknown) => {
      this.deps.logger.warn({ err: error }, 'response cache unavailable');
      return null;
    });
    if (!entry) return experiment ? { ...decision, experiment } : decision;
    return {
      ...decision, kind: 'cache', route: 'cache', reason: `an accepted answer to the same question (${entry.hits} earlier use${entry.hits === 1 ? '' : 's'})`,
      cached: { entryId: entry.id, text: entry.answerText, sourceRunId: entry.sourceRunId }, ...(experiment ? { experiment } : {}),
    };
  }

  private async isPromoted(agentId: string): Promise<boolean> {
    let known = this.promoted.get('all') ? this.promoted.get(agentId) : undefined;
    if (!known) {
      const promoted = new Set((await this.deps.experiments.list('promoted').catch(() => [])).filter((e) => e.targetKind === 'cache').map((e) => e.targetId));
      this.promoted.set('all', { on: true });
      known = { on: promoted.has(agentId) };
      this.promoted.set(agentId, known);
    }
    return known.on;
  }
}
