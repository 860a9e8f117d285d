import { StoreWorkflowMatcher } from '../../src/workflows/workflow-matcher.js';
import { expect, test } from 'vitest';
import type { Plan } from '../../src/goals/plan.js';
import { singleTaskPlan } from '../../src/goals/plan.js';
import type { Store } from '../../src/store/store.js';
import { KNOWN_RUNS, percentileCont, seedRun } from '../support/seed-runs.js';

const twoSteps: Plan = {
  title: 'weekly report',
  tasks: [
    { id: 'a', title: 'Gather', instructions: 'gather the numbers', specialty: 'data-analysis', depends_on: [], level: 'tactical', done_when: 'numbers' },
    { id: 'b', title: 'Write', instructions: 'write the report', specialty: 'writing', depends_on: ['a'], level: 'operational', done_when: 'report' },
  ],
};

/** Feedback, workflows and metrics: the same SQL behind every transport. */
export function commandsContract(getStore: () => Store): void {
  const ws = (name: string) => `T-${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

  test('feedback: the caller\'s latest finished run in the channel; dedupe keys count once; proposals target what ran', async () => {
    const store = getStore();
    const w = ws('fb');
    expect(await store.feedback.latestRun({ workspaceId: w, channelId: 'C1', userId: 'U1' })).toBeNull();
    const older = await seedRun(store, { workspaceId: w, userId: 'U1', agentId: 'research', status: 'succeeded', text: 'older' });
    const mine = await seedRun(store, { workspaceId: w, userId: 'U1', agentId: 'writing', status: 'failed', text: 'mine', threadTs: '1.5' });
    await seedRun(store, { workspaceId: w, userId: 'U2', agentId: 'general', status: 'succeeded', text: 'someone else' });
    await seedRun(store, { workspaceId: w, userId: 'U1', channelId: 'C2', status: 'succeeded', text: 'other channel' });
    await seedRun(store, { workspaceId: w, userId: 'U1', text: 'still running' });
    await seedRun(store, { workspaceId: w, userId: 'U1', status: 'succeeded', kind: 'command', text: 'a command' });
    expect((await store.feedback.latestRun({ workspaceId: w, channelId: 'C1', userId: 'U1' }))?.id).toBe(mine);
    expect((await store.feedback.latestRun({ workspaceId: w, channelId: 'C1', userId: 'U1', threadTs: '1.5' }))?.id).toBe(mine);
    expect(await store.feedback.latestRun({ workspaceId: w, channelId: 'C1', userId: 'U1', threadTs: '9.9' })).toBeNull();

    const first = await store.feedback.record({ runId: mine, workspaceId: w, userId: 'U1', source: 'command', rating: 2, text: 'too slow', category: 'too_slow' });
    expect(first).toMatchObject({ ok: true, created: true, feedback: { rating: 2, text: 'too slow', category: 'too_slow', source: 'command', userId: 'U1' } });
    expect(first.ok && first.proposals).toEqual([expect.objectContaining({ targetKind: 'agent', targetId: 'writing', category: 'too_slow' })]);

    const click = { runId: older, workspaceId: w, userId: 'U2', source: 'button' as const, dedupeKey: `button:${older}:U2` };
    const up = await store.feedback.record({ ...click, rating: 5 });
    const again = await store.feedback.record({ ...click, rating: 5 });
    const down = await store.feedback.record({ ...click, rating: 1, category: 'other' });
    expect([up, again, down].map((r) => r.ok && r.created)).toEqual([true, false, false]);
    expect(down.ok && down.feedback).toMatchObject({ rating: 1 });
    expect(down.ok && down.proposals).toEqual([]); // a changed vote files nothing new

    expect(await store.feedback.record({ runId: mine, workspaceId: 'T-elsewhere', userId: 'U1', source: 'command', rating: 3 })).toEqual({ ok: false, reason: 'no_run' });
    expect(await store.feedback.record({ runId: '00000000-0000-0000-0000-000000000000', workspaceId: w, userId: 'U1', source: 'command', rating: 3 })).toEqual({ ok: false, reason: 'no_run' });
  });

  test('workflows: save, refuse a taken name, replace, list with usage, match, delete; the plan of a goal run', async () => {
    const store = getStore();
    const w = ws('wf');
    const source = await seedRun(store, { workspaceId: w, status: 'succeeded', agentId: 'writing', text: 'write the weekly report from the sales numbers' });
    const saved = await store.workflows.save({ workspaceId: w, name: 'weekly-report', graph: twoSteps, triggers: ['write the weekly report from the sales numbers'], sourceRunId: source, createdBy: 'U1', description: 'Mondays' });
    expect(saved).toMatchObject({ ok: true, replaced: false, workflow: { name: 'weekly-report', kind: 'saved', status: 'active', version: 1, uses: 0, avgRating: null, createdBy: 'U1', sourceRunId: source } });
    expect(saved.ok && saved.workflow.graph).toEqual(twoSteps);

    const taken = await store.workflows.save({ workspaceId: w, name: 'weekly-report', graph: singleTaskPlan('x', 'general'), triggers: ['x'] });
    expect(taken).toMatchObject({ ok: false, reason: 'name_taken', existing: { name: 'weekly-report', version: 1 } });
    expect((await store.workflows.get(w, 'weekly-report'))?.graph).toEqual(twoSteps); // untouched
    // The same name in another workspace is another workflow.
    expect((await store.workflows.save({ workspaceId: ws('other'), name: 'weekly-report', graph: twoSteps, triggers: ['x'] })).ok).toBe(true);

    const replaced = await store.workflows.save({ workspaceId: w, name: 'weekly-report', graph: twoSteps, triggers: ['write the weekly report from the sales numbers'], replace: true, createdBy: 'U2' });
    expect(replaced).toMatchObject({ ok: true, replaced: true, workflow: { version: 2, createdBy: 'U2', description: null } });

    const wf = replaced.ok ? replaced.workflow : undefined;
    const use1 = await seedRun(store, { workspaceId: w, status: 'succeeded', text: 'weekly report please' });
    const use2 = await seedRun(store, { workspaceId: w, status: 'failed', text: 'weekly report again' });
    await store.workflows.recordUse(wf!.id, use1, true);
    await store.workflows.recordUse(wf!.id, use2, false);
    await store.workflows.recordUse(wf!.id, use2, false); // idempotent per run
    await store.feedback.record({ runId: use1, workspaceId: w, userId: 'U1', source: 'command', rating: 5 });
    await store.feedback.record({ runId: use2, workspaceId: w, userId: 'U1', source: 'command', rating: 2 });
    await store.workflows.save({ workspaceId: w, name: 'standup', kind: 'induced', graph: singleTaskPlan('summarize standup', 'summarizer'), triggers: ['summarize the standup thread'] });
    const list = await store.workflows.list(w);
    expect(list.map((x) => [x.name, x.kind, x.uses, x.successes, x.avgRating])).toEqual([['weekly-report', 'saved', 2, 1, 3.5], ['standup', 'induced', 0, 0, null]]);
    const fb = await store.feedback.record({ runId: use2, workspaceId: w, userId: 'U3', source: 'command', text: 'wrong numbers', category: 'wrong' });
    expect(fb.ok && fb.proposals).toEqual([expect.objectContaining({ targetKind: 'workflow', targetId: wf!.id })]);

    const matcher = new StoreWorkflowMatcher(store.workflows);
    expect((await matcher.match(w, 'run workflow weekly-report')).active).toMatchObject({ name: 'weekly-report', reason: expect.stringMatching(/by name/) });
    expect((await matcher.match(w, 'Run the workflow `standup`.')).active).toMatchObject({ name: 'standup' });
    expect((await matcher.match(w, 'run workflow nope')).active).toBeNull();
    const similar = await matcher.match(w, 'Please write the weekly report from the sales numbers!');
    expect(similar.active?.name).toBe('weekly-report');
    expect(similar.active?.reason).toMatch(/^matched workflow weekly-report/);
    expect(await matcher.match(w, 'what is the capital of France?')).toEqual({ active: null, candidate: null });

    expect(await store.workflows.remove(w, 'weekly-report')).toBe(true);
    expect(await store.workflows.remove(w, 'weekly-report')).toBe(false);
    expect(await store.workflows.get(w, 'weekly-report')).toBeNull();

    const goalRun = await seedRun(store, { workspaceId: w, status: 'succeeded', text: 'plan: gather then write' });
    await store.goals.create({ runId: goalRun, workspaceId: w, requestText: 'plan: gather then write', plan: twoSteps, budget: {}, owner: 'p1' });
    expect(await store.workflows.planForRun(goalRun)).toEqual(twoSteps);
    expect(await store.workflows.planForRun(source)).toBeNull();
  });

  test('metrics: every figure of a seeded run log, computed in SQL; agent filter; unknown agent', async () => {
    const store = getStore();
    const w = ws('m');
    const seeded = KNOWN_RUNS;
    const ids: string[] = [];
    for (const r of seeded) ids.push(await seedRun(store, { workspaceId: w, ...r }));
    await seedRun(store, { workspaceId: w, text: 'still running' });
    await seedRun(store, { workspaceId: w, kind: 'command', status: 'succeeded', latencyMs: 5 }); // not a request
    // Refused because no model is configured: counted apart, not in runs, success rate, latency or errors.
    await seedRun(store, { workspaceId: w, status: 'refused', errorClass: 'MODEL_NOT_CONFIGURED', latencyMs: 2 });
    await seedRun(store, { workspaceId: w, status: 'refused', errorClass: 'MODEL_NOT_CONFIGURED', latencyMs: 3 });
    await seedRun(store, { workspaceId: ws('elsewhere'), agentId: 'research', status: 'succeeded', latencyMs: 1, costUsd: 9 });
    await store.feedback.record({ runId: ids[0]!, workspaceId: w, userId: 'U1', source: 'command', rating: 5 });
    await store.feedback.record({ runId: ids[2]!, workspaceId: w, userId: 'U1', source: 'command', rating: 2, text: 'too slow', category: 'too_slow' });
    await store.feedback.record({ runId: ids[1]!, workspaceId: w, userId: 'U2', source: 'button', rating: 4, dedupeKey: `button:${ids[1]}:U2` });
    await store.feedback.record({ runId: ids[3]!, workspaceId: w, userId: 'U2', source: 'command', text: 'use a table' });

    const r = (await store.metrics.report(w, '7d'))!;
    const latencies = seeded.map((s) => s.latencyMs);
    expect(r).toMatchObject({
      period: '7d', agentId: null, runs: 7, finished: 6, succeeded: 3, successRate: 0.5, costUnknownSteps: 0, notConfigured: 2,
      tokensIn: 500, tokensOut: 45, feedbackCount: 4, ratedCount: 3, improvementsApplied: 0, improvements: [], topPatterns: [],
      topAgents: [
        { agentId: 'research', runs: 3, succeeded: 3, costUsd: 0.0045 },
        { agentId: 'writing', runs: 2, succeeded: 0, costUsd: 0.0005 },
        { agentId: 'general', runs: 1, succeeded: 0, costUsd: 0 },
      ],
      topErrors: [{ errorClass: 'MODEL_TIMEOUT', count: 2 }, { errorClass: 'AGENT_BUSY', count: 1 }],
    });
    expect(r.p50Ms).toBeCloseTo(percentileCont(latencies, 0.5), 9); // 1750
    expect(r.p95Ms).toBeCloseTo(percentileCont(latencies, 0.95), 9); // 8750
    expect(r.costUsd).toBeCloseTo(0.005, 12);
    expect(r.costPerQueryUsd).toBeCloseTo(0.005 / 7, 12);
    expect(r.avgRating).toBeCloseTo(11 / 3, 9);
    expect(r.daily).toHaveLength(8); // seven days back to today, zeros included
    expect(r.daily.at(-1)).toMatchObject({ runs: 7, finished: 6, succeeded: 3 });
    expect(r.daily.at(-1)!.costUsd).toBeCloseTo(0.005, 12);
    expect(r.daily.slice(0, -1).every((d) => d.runs === 0)).toBe(true);

    const writing = (await store.metrics.report(w, '24h', 'writing'))!;
    expect(writing).toMatchObject({ agentId: 'writing', runs: 2, finished: 2, succeeded: 0, successRate: 0, feedbackCount: 1, avgRating: 2 });
    expect(writing.p50Ms).toBeCloseTo(8500, 9);
    expect(writing.daily).toHaveLength(2);
    expect(await store.metrics.report(w, 'all', 'no-such-agent')).toBeNull();
    const empty = (await store.metrics.report(ws('empty'), 'all'))!;
    expect(empty).toMatchObject({ runs: 0, successRate: null, p50Ms: null, costPerQueryUsd: null, avgRating: null, daily: [] });
  });
}
