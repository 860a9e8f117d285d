import { describe, expect, test } from 'vitest';
import { mergeBudget } from '../../src/goals/budget.js';
import { detectGoal } from '../../src/serving/detect-goal.js';
import type { Plan, PlanTask } from '../../src/goals/plan.js';
import { progressBar } from '../../src/surface/progress.js';
import { dependentsOf, findCycle, validatePlan } from '../../src/goals/validate-plan.js';

const task = (id: string, depends_on: string[] = []): PlanTask =>
  ({ id, title: id, instructions: `do ${id}`, specialty: 'research', depends_on, level: 'operational', done_when: 'done' });
const plan = (...tasks: PlanTask[]): Plan => ({ title: 'p', tasks });

describe('plan validation', () => {
  test('a valid DAG has no problems', () => {
    expect(validatePlan(plan(task('a'), task('b'), task('c', ['a', 'b'])), 8)).toEqual([]);
  });
  test('cycles, unknown dependencies, duplicates, self-dependency and size are named', () => {
    expect(validatePlan(plan(task('a', ['c']), task('b', ['a']), task('c', ['b'])), 8)[0]).toMatch(/cycle: (a|b|c) → .* → \1/);
    expect(validatePlan(plan(task('a', ['zz'])), 8)).toEqual(['task "a" depends on "zz", which does not exist']);
    expect(validatePlan(plan(task('a'), task('a')), 8)).toContain('task id "a" is used twice');
    expect(validatePlan(plan(task('a', ['a'])), 8)).toContain('task "a" depends on itself');
    expect(validatePlan(plan(...Array.from({ length: 9 }, (_, i) => task(`t${i}`))), 8)).toContain('the plan has 9 tasks; at most 8 are allowed');
    expect(validatePlan(plan(), 8)).toContain('the plan has no tasks');
  });
  test('a failure blocks its transitive dependents only', () => {
    const tasks = [task('a'), task('b'), task('c', ['a']), task('d', ['c']), task('e', ['b'])];
    expect([...dependentsOf(tasks, 'a')].sort()).toEqual(['c', 'd']);
    expect(findCycle(tasks)).toBeNull();
  });
});

describe('goal detection without a model call', () => {
  test.each([
    ['plan: launch the product', true],
    ['Goal: hire a designer', true],
    ['Plan our launch: research three competitors, draft the announcement from that, then write a FAQ', true],
    ['1. research pricing\n2. draft a proposal\n3. review it with legal', true],
    ['Research the market, compare the top vendors and recommend one', true],
    ['What is the capital of France?', false],
    ['Can you write a haiku about autumn?', false],
    ['summarize this thread', false],
  ])('%s → %s', (text, isGoal) => {
    expect(detectGoal(text).isGoal).toBe(isGoal);
  });
  test('an explicit prefix is removed from the text to plan', () => {
    expect(detectGoal('plan:   ship v2').text).toBe('ship v2');
  });
});

test('progress bar and budget overrides', () => {
  const progress = { goalId: 'g', title: 't', elapsedMs: 0, done: false, tasks: [
    { id: 'a', title: 'a', state: 'succeeded' as const }, { id: 'b', title: 'b', state: 'failed' as const },
    { id: 'c', title: 'c', state: 'running' as const }, { id: 'd', title: 'd', state: 'pending' as const }, { id: 'e', title: 'e', state: 'pending' as const }] };
  expect(progressBar(progress, 5)).toBe('▓▓░░░ 2/5');
  const defaults = { maxTasks: 8, maxAgents: 6, maxTokens: 1000, maxCostUsd: 1, maxSeconds: 300, concurrency: 3 };
  expect(mergeBudget(defaults, { maxTokens: 50, bogus: 1, maxSeconds: -1 })).toEqual({ ...defaults, maxTokens: 50 });
});
