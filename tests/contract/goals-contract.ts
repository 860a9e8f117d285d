import { expect, test } from 'vitest';
import type { Plan } from '../../src/goals/plan.js';
import type { Store } from '../../src/store/store.js';

const plan: Plan = {
  title: 'launch',
  tasks: [
    { id: 'a', title: 'A', instructions: 'do a', specialty: 'research', depends_on: [], level: 'tactical', done_when: 'a done' },
    { id: 'b', title: 'B', instructions: 'do b', specialty: 'writing', depends_on: ['a'], level: 'operational', done_when: 'b done' },
  ],
};

/** Goal persistence: ownership leases, stale writers refused, cancel requests, takeover after a crash. */
export function goalContract(getStore: () => Store): void {
  test('goals: tasks from the plan, owner-only writes, cancel requests, takeover of expired leases', async () => {
    const store = getStore();
    const { run } = await store.runs.start({ workspaceId: 'TG', surface: 'test', requestText: 'plan it' });
    const goal = await store.goals.create({ runId: run.id, workspaceId: 'TG', requestText: 'plan it', plan, budget: { maxTasks: 8 }, owner: 'p1', userId: 'U1', channelId: 'C1', threadTs: '1.1' });
    expect(goal.tasks.map((t) => [t.taskId, t.status, t.dependsOn])).toEqual([['a', 'pending', []], ['b', 'pending', ['a']]]);
    expect(goal.plan.tasks).toHaveLength(2);

    expect(await store.goals.updateTask(goal.id, 'a', 'p1', { status: 'succeeded', agentId: 'research', result: 'facts', tokensIn: 10, tokensOut: 5, costUsd: 0.001, attempts: 1 })).toBe(true);
    expect(await store.goals.updateTask(goal.id, 'b', 'intruder', { status: 'failed' })).toBe(false);
    expect(await store.goals.update(goal.id, 'intruder', { status: 'failed' })).toBeNull();

    expect(await store.goals.requestCancel(goal.id, 'U2')).toMatchObject({ ok: false });
    expect(await store.goals.requestCancel(goal.id, 'U1')).toMatchObject({ ok: true });
    expect(await store.goals.update(goal.id, 'p1', { leaseSeconds: 0 })).toEqual({ status: 'running', cancelRequested: true });

    await new Promise((r) => setTimeout(r, 20));
    const claimed = await store.goals.claimStale('p2', 60);
    const mine = claimed.find((g) => g.id === goal.id);
    expect(mine?.owner).toBe('p2');
    expect(mine?.tasks.find((t) => t.taskId === 'a')).toMatchObject({ status: 'succeeded', result: 'facts', costUsd: 0.001 });
    expect(await store.goals.update(goal.id, 'p1', {})).toBeNull(); // the old owner is now a stale writer
    expect((await store.goals.claimStale('p3', 60)).some((g) => g.id === goal.id)).toBe(false);

    await store.goals.release(goal.id, 'p2');
    expect((await store.goals.claimStale('p4', 60)).some((g) => g.id === goal.id)).toBe(true);
    expect(await store.goals.update(goal.id, 'p4', { status: 'succeeded', finalAnswer: 'done' })).toMatchObject({ status: 'succeeded' });
    expect((await store.goals.get(goal.id))?.status).toBe('succeeded');
    expect(await store.goals.workspaceBudget('TG')).toEqual({});
  });
}
