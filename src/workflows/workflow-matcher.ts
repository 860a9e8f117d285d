import type { WorkflowChoice, WorkflowMatcher } from '../serving/serving.js';
import type { Workflow, WorkflowStore } from '../store/workflows.js';
import { matchWorkflow } from './matcher.js';

/** Saved workflows win an exact tie over induced ones, then the most used (negative: a first). */
const savedThenMostUsed = (a: Workflow, b: Workflow): number => (a.kind !== b.kind ? (a.kind === 'saved' ? -1 : 1) : b.uses - a.uses);

/**
 * Which workflow a request should replay (matcher.ts: a "run workflow <name>" command, a name mention, or a
 * close resemblance, with guards against requests that manage, question or negate a workflow). Active
 * workflows serve everyone; the best-matching candidate (an induced workflow not yet promoted) is reported
 * separately, for the experiment that decides whether it should. Precision and recall of the matcher are
 * measured on a labelled set in tests/workflows/matcher-quality.test.ts.
 */
export class StoreWorkflowMatcher implements WorkflowMatcher {
  constructor(private readonly store: Pick<WorkflowStore, 'list'>) {}

  async match(workspaceId: string, text: string): Promise<{ active: WorkflowChoice | null; candidate: WorkflowChoice | null }> {
    // One read for both (every request asks): the list without a status is every workflow that is not archived.
    const workflows = await this.store.list(workspaceId);
    if (workflows.length === 0) return { active: null, candidate: null };
    return { active: best(text, workflows.filter((w) => w.status === 'active')), candidate: best(text, workflows.filter((w) => w.status === 'candidate')) };
  }
}

function best(text: string, workflows: Workflow[]): WorkflowChoice | null {
  if (workflows.length === 0) return null;
  const decision = matchWorkflow(text, workflows, { prefer: savedThenMostUsed });
  const workflow = decision.workflow;
  return workflow ? { id: workflow.id, name: workflow.name, version: workflow.version, plan: workflow.graph, reason: decision.reason } : null;
}
