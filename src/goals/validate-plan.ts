import type { Plan, PlanTask } from './plan.js';

/**
 * Checks a plan before anything runs: tasks present, at most maxTasks, unique ids, dependencies that exist,
 * no self-dependency, no cycles. Returns every problem found, in words the planner model can act on.
 */
export function validatePlan(plan: Plan, maxTasks: number): string[] {
  const problems: string[] = [];
  if (plan.tasks.length === 0) problems.push('the plan has no tasks');
  if (plan.tasks.length > maxTasks) problems.push(`the plan has ${plan.tasks.length} tasks; at most ${maxTasks} are allowed`);
  const ids = new Set<string>();
  for (const task of plan.tasks) {
    if (!task.id.trim()) problems.push('a task has an empty id');
    if (ids.has(task.id)) problems.push(`task id "${task.id}" is used twice`);
    ids.add(task.id);
    if (!task.instructions.trim()) problems.push(`task "${task.id}" has no instructions`);
  }
  for (const task of plan.tasks) {
    for (const dep of task.depends_on) {
      if (dep === task.id) problems.push(`task "${task.id}" depends on itself`);
      else if (!ids.has(dep)) problems.push(`task "${task.id}" depends on "${dep}", which does not exist`);
    }
  }
  if (problems.length === 0) {
    const cycle = findCycle(plan.tasks);
    if (cycle) problems.push(`the dependencies form a cycle: ${cycle.join(' → ')}`);
  }
  return problems;
}

/** A dependency cycle as a list of task ids (first = last), or null. Depth-first search with colours. */
export function findCycle(tasks: PlanTask[]): string[] | null {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of byId.get(id)?.depends_on ?? []) {
      if (!byId.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const task of tasks) {
    const cycle = visit(task.id);
    if (cycle) return cycle;
  }
  return null;
}

/** Every task that (transitively) depends on `failedId`: they cannot run once it has failed. */
export function dependentsOf(tasks: PlanTask[], failedId: string): Set<string> {
  const blocked = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const task of tasks) {
      if (blocked.has(task.id)) continue;
      if (task.depends_on.some((d) => d === failedId || blocked.has(d))) {
        blocked.add(task.id);
        grew = true;
      }
    }
  }
  return blocked;
}
