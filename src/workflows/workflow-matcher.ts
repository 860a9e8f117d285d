import type { WorkflowChoice, WorkflowMatcher } from '../serving/serving.js';
import type { Workflow, WorkflowStore } from '../store/workflows.js';
import { explicitWorkflowName, triggerScore } from './similarity.js';

/** Similarity to a trigger needed for a request to replay a workflow. */
export const DEFAULT_MATCH_THRESHOLD = 0.6;

/**
 * Which workflow a request should replay: "run workflow <name>" (score 1), else the workflow whose trigger is
 * most similar at or above the threshold; saved ones win ties over induced ones, then the most used. Active
 * workflows serve everyone; the best-matching candidate (an induced workflow not yet promoted) is reported
 * separately, for the experiment that decides whether it should.
 */
export class StoreWorkflowMatcher implements WorkflowMatcher {
  constructor(private readonly store: Pick<WorkflowStore, 'get' | 'list'>, private readonly threshold = DEFAULT_MATCH_THRESHOLD) {}

  async match(workspaceId: string, text: string): Promise<{ active: WorkflowChoice | null; candidate: WorkflowChoice | null }> {
    const named = explicitWorkflowName(text);
    if (named) {
      const workflow = await this.store.get(workspaceId, named);
      return { active: workflow && workflow.status === 'active' ? choice(workflow, `asked for workflow "${workflow.name}" by name`) : null, candidate: null };
    }
    const [active, candidate] = await Promise.all([this.best(workspaceId, text, 'active'), this.best(workspaceId, text, 'candidate')]);
    return { active, candidate };
  }

  private async best(workspaceId: string, text: string, status: 'active' | 'candidate'): Promise<WorkflowChoice | null> {
    let best: { workflow: Workflow; score: number } | null = null;
    for (const workflow of await this.store.list(workspaceId, status)) {
      const score = triggerScore(text, workflow.triggers);
      if (score < this.threshold) continue;
      if (!best || score > best.score || (score === best.score && better(workflow, best.workflow))) best = { workflow, score };
    }
    return best ? choice(best.workflow, `matched workflow "${best.workflow.name}" (similarity ${best.score.toFixed(2)})`) : null;
  }
}

function choice(workflow: Workflow, reason: string): WorkflowChoice {
  return { id: workflow.id, name: workflow.name, version: workflow.version, plan: workflow.graph, reason };
}

function better(a: Workflow, b: Workflow): boolean {
  if (a.kind !== b.kind) return a.kind === 'saved';
  return a.uses > b.uses;
}
