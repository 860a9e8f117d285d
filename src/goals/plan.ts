import { z } from 'zod';
import type { Plan as StoredPlan, PlanTask as StoredPlanTask } from '../store/task-graph.js';

/**
 * A goal's task graph. Produced by the planner model (structured output), stored on the goal, saved as a
 * workflow by /save-workflow, and replayed from a workflow without a planning call.
 */
export const taskSchema = z.object({
  id: z.string().describe('short unique id, e.g. "t1"'),
  title: z.string().describe('a few words'),
  instructions: z.string().describe('what the specialist must do, self-contained'),
  specialty: z.string().describe('the kind of specialist needed, e.g. "research", "writing", "coding"'),
  depends_on: z.array(z.string()).describe('ids of tasks whose results this task needs'),
  level: z.enum(['strategic', 'tactical', 'operational']),
  done_when: z.string().describe('what "done" means for this task'),
});

export const planSchema = z.object({
  title: z.string().describe('the goal in a few words'),
  tasks: z.array(taskSchema),
});

export type PlanTask = StoredPlanTask;
export type Plan = StoredPlan;

// The schema and the stored shape must agree: this fails to compile if either drifts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesStore: Same<z.infer<typeof planSchema>, StoredPlan> = true;
void schemaMatchesStore;

/** A one-task plan: how a direct answer is saved as a workflow. */
export function singleTaskPlan(request: string, specialty: string): Plan {
  return {
    title: request.slice(0, 80),
    tasks: [{ id: 't1', title: request.slice(0, 60), instructions: request, specialty, depends_on: [], level: 'operational', done_when: 'the request is answered' }],
  };
}
