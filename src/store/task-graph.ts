/**
 * A goal's task graph as the store keeps it (goals.plan, workflows.graph). The planner's zod schema in
 * goals/plan.ts produces exactly this shape; it lives here so the store depends on no feature folder.
 */
export interface PlanTask {
  id: string;
  title: string;
  instructions: string;
  specialty: string;
  depends_on: string[];
  level: 'strategic' | 'tactical' | 'operational';
  done_when: string;
}

export interface Plan {
  title: string;
  tasks: PlanTask[];
}
