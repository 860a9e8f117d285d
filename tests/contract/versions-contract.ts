import { expect, test } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { singleTaskPlan } from '../../src/goals/plan.js';

/**
 * Versions side by side, promotion and rollback (agents and workflows), the serving record on the run, and
 * experiment arms — the same on every transport.
 */
export function versionsContract(store: () => Store, unique: (prefix: string) => string): void {
  test('agents: a candidate is promoted atomically, a named version rolled back to, a loser rejected; each change recorded', async () => {
    const s = store();
    const agentId = unique('versioned');
    const draft = { agentId, specialty: 'billing', description: 'billing questions', systemPrompt: 'v' };
    await s.agents.save({ ...draft, systemPrompt: 'v1' });
    const candidate = await s.agents.save({ ...draft, systemPrompt: 'v2' }, 'candidate');
    expect(await s.agents.statuses([`${agentId}@1`, `${agentId}@2`, `${agentId}@9`])).toEqual({ [`${agentId}@1`]: 'current', [`${agentId}@2`]: 'candidate' });

    expect(await s.agents.promote(agentId, 1, 'improver', 'not a candidate')).toEqual({ ok: false, reason: 'not_candidate', status: 'current' });
    const promoted = await s.agents.promote(agentId, candidate.version, 'improver', 'experiment 1: 31% cheaper at equal success');
    expect(promoted).toMatchObject({ ok: true, fromVersion: 1, agent: { version: 2, status: 'current', systemPrompt: 'v2' } });
    expect(await s.agents.currentVersions([agentId])).toEqual({ [agentId]: 2 });

    const back = await s.agents.rollback(agentId, 1, 'U_ADMIN', 'answers got worse');
    expect(back).toMatchObject({ ok: true, fromVersion: 2, agent: { version: 1, status: 'current' } });
    expect(await s.agents.rollback(agentId, 1, 'U_ADMIN')).toEqual({ ok: false, reason: 'already_current' });
    expect(await s.agents.rollback(agentId, 7, 'U_ADMIN')).toEqual({ ok: false, reason: 'no_such_version' });

    const loser = await s.agents.save({ ...draft, systemPrompt: 'v3' }, 'candidate');
    expect(await s.agents.reject(agentId, loser.version, 'improver', 'worse success')).toMatchObject({ ok: true, agent: { status: 'archived' } });
    expect(await s.agents.reject(agentId, loser.version, 'improver')).toEqual({ ok: false, reason: 'not_candidate' });

    const history = await s.agents.history(agentId);
    expect(history.versions.map((v) => [v.version, v.status])).toEqual([[3, 'archived'], [2, 'archived'], [1, 'current']]);
    expect(history.changes.map((c) => [c.action, c.fromVersion, c.toVersion, c.actor, c.reason])).toEqual([
      ['reject', null, 3, 'improver', 'worse success'],
      ['rollback', 2, 1, 'U_ADMIN', 'answers got worse'],
      ['promote', 1, 2, 'improver', 'experiment 1: 31% cheaper at equal success'],
    ]);
  });

  test('concurrent promotions of two candidates: exactly one agent version ends current', async () => {
    const s = store();
    const agentId = unique('racing');
    const draft = { agentId, specialty: 's', description: 'd', systemPrompt: 'p' };
    await s.agents.save(draft);
    const [a, b] = [await s.agents.save(draft, 'candidate'), await s.agents.save(draft, 'candidate')];
    await Promise.all([s.agents.promote(agentId, a.version, 'x'), s.agents.promote(agentId, b.version, 'y')]);
    const statuses = await s.agents.statuses([1, 2, 3].map((v) => `${agentId}@${v}`));
    expect(Object.values(statuses).filter((x) => x === 'current')).toHaveLength(1);
  });

  test('workflows: candidate → active → rolled back to a named version, each recorded; replaced versions are kept', async () => {
    const s = store();
    const w = unique('W');
    const saved = await s.workflows.save({ workspaceId: w, name: 'digest', kind: 'induced', graph: singleTaskPlan('daily digest', 'summarizer'), triggers: ['daily digest'] });
    expect(saved.ok).toBe(true);
    const id = saved.ok ? saved.workflow.id : '';
    expect(await s.workflows.setStatus(id, 'candidate', 'workflow-analyst', 'induced from 14 recurring goals')).toEqual({ ok: true, fromStatus: 'active' });
    expect((await s.workflows.list(w, 'active')).map((x) => x.name)).toEqual([]);
    expect((await s.workflows.list(w, 'candidate')).map((x) => x.name)).toEqual(['digest']);
    expect(await s.workflows.setStatus(id, 'active', 'improver', 'promoted by experiment')).toEqual({ ok: true, fromStatus: 'candidate' });
    await s.workflows.save({ workspaceId: w, name: 'digest', kind: 'induced', graph: singleTaskPlan('weekly digest', 'writing'), triggers: ['weekly digest'], replace: true });
    expect((await s.workflows.getById(id))?.version).toBe(2);
    const rolled = await s.workflows.rollback(id, 1, 'U_ADMIN', 'the weekly one was wrong');
    expect(rolled).toMatchObject({ ok: true, workflow: { version: 3, triggers: ['daily digest'] } });
    expect(rolled.workflow?.graph.tasks[0]?.specialty).toBe('summarizer');
    expect(await s.workflows.rollback(id, 9, 'U_ADMIN')).toEqual({ ok: false, reason: 'no_such_version' });
    await expect(s.workflows.setStatus(id, 'bogus' as never, 'x')).rejects.toMatchObject({ code: 'STORE_QUERY_FAILED' });
    expect(await s.workflows.getById('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  test('the serving decision is on the run; finish adds every agent version and model its steps used', async () => {
    const s = store();
    const { run } = await s.runs.start({ workspaceId: 'T1', surface: 'test', requestText: 'serve me' });
    await s.runs.recordServing(run.id, {
      route: 'direct', routeReason: 'registry match', agent: { agentId: 'research', version: 1 },
      experiment: { id: '00000000-0000-4000-8000-0000000000aa', arm: 'candidate' }, detail: { kind: 'direct', model: 'gpt-4.1-nano' },
    });
    await s.runs.addStep(run.id, { kind: 'router', status: 'ok', model: 'gpt-4.1', tokensIn: 50, tokensOut: 5, costUsd: 0.0001 });
    await s.runs.addStep(run.id, { kind: 'model', status: 'ok', model: 'gpt-4.1-nano', agentId: 'research', agentVersion: 1, tokensIn: 10, tokensOut: 5, costUsd: 0.000003 });
    await s.runs.addStep(run.id, { kind: 'embedding', status: 'ok', model: 'text-embedding-3-small', tokensIn: 8, tokensOut: 0, costUsd: 0.00000016 });
    await s.runs.addStep(run.id, { kind: 'synthesis', status: 'ok', model: 'gpt-4.1-mini', agentId: 'writing', agentVersion: 4, tokensIn: 1, tokensOut: 1, costUsd: 0.000002 });
    const finished = await s.runs.finish(run.id, { status: 'succeeded' });
    expect(finished).toMatchObject({
      route: 'direct', routeReason: 'registry match', experimentId: '00000000-0000-4000-8000-0000000000aa', experimentArm: 'candidate',
      agentVersions: [{ agentId: 'research', version: 1 }, { agentId: 'writing', version: 4 }], serving: { kind: 'direct', model: 'gpt-4.1-nano' },
    });
    expect([...finished.models].sort()).toEqual(['gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'text-embedding-3-small']);
    expect(finished.costUnknownSteps).toBe(0);
    // A goal's decision marks the run as a goal.
    const goal = await s.runs.start({ workspaceId: 'T1', surface: 'test', requestText: 'plan: x' });
    await s.runs.recordServing(goal.run.id, { route: 'goal', routeReason: 'explicit', detail: { kind: 'goal' } });
    expect((await s.runs.get(goal.run.id))?.kind).toBe('goal');
  });

  test('error_class holds an error code, never free text', async () => {
    const s = store();
    const { run } = await s.runs.start({ workspaceId: 'T1', surface: 'test' });
    await expect(s.runs.finish(run.id, { status: 'failed', errorClass: 'the model said no' as never })).rejects.toMatchObject({ code: 'STORE_QUERY_FAILED' });
    await expect(s.runs.addStep(run.id, { kind: 'note', status: 'error', errorClass: 'Timeout!' as never })).rejects.toMatchObject({ code: 'STORE_QUERY_FAILED' });
    await expect(s.runs.finish(run.id, { status: 'failed', errorClass: 'MODEL_TIMEOUT' })).resolves.toMatchObject({ errorClass: 'MODEL_TIMEOUT' });
  });

  test('experiments: one per target; a unit keeps its arm; about the share of units get the candidate', async () => {
    const s = store();
    const target = unique('exp-agent');
    const first = await s.experiments.create({ targetKind: 'agent', targetId: target, controlVersion: 1, candidateVersion: 2, share: 0.3 });
    expect(first.ok).toBe(true);
    const second = await s.experiments.create({ targetKind: 'agent', targetId: target, controlVersion: 1, candidateVersion: 3, share: 0.5 });
    expect(second).toMatchObject({ ok: false, reason: 'already_running', experiment: { id: first.experiment.id, candidateVersion: 2 } });
    expect((await s.experiments.running('agent', target))?.id).toBe(first.experiment.id);
    const arms = await Promise.all(Array.from({ length: 200 }, (_, i) => s.experiments.assign(first.experiment.id, `T1:C1:${i}`)));
    const candidates = arms.filter((a) => a === 'candidate').length;
    expect(candidates).toBeGreaterThan(35);
    expect(candidates).toBeLessThan(85);
    const again = await Promise.all(Array.from({ length: 200 }, (_, i) => s.experiments.assign(first.experiment.id, `T1:C1:${i}`)));
    expect(again).toEqual(arms);
    expect(await s.experiments.running('agent', unique('nothing'))).toBeNull();
  });
}
