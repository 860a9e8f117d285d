import pino from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ModelCatalogue } from '../../src/config/models.js';
import { ExperimentArms } from '../../src/improvement/experiment-arms.js';
import { ExperimentLoop, type LoopSettings } from '../../src/improvement/experiment-loop.js';
import type { Store } from '../../src/store/store.js';
import { memoryMeter, standinModels } from '../support/models.js';
import { pgliteStore } from '../support/stores.js';
import { seedServedRun, type ServedRun } from '../support/seed-runs.js';

// Decisions on synthetic logs: runs written through the store API the way the run log writes them (served by an
// arm, with cost, latency and an outcome), then one pass of the loop. No model is called: cheaper-model candidates
// need no drafting and screening is off (SCREEN_SAMPLES=0), so what is decided is what the log shows. The success
// margin is 20 points so 60 runs per arm can decide (at 5 points it takes ~1,200: see the README's decision times).
let store: Store;
let notices: { posted: string[]; asked: Array<{ text: string; experimentId: string }> };

const SETTINGS: LoopSettings = {
  trafficShare: 0.5, maxTraffic: 0.3, minSamples: 20, margin: 0.2, approval: 'auto', screenSamples: 0, plannerModel: 'gpt-4.1', cacheTtlSeconds: 3600,
};

function loop(settings: Partial<LoopSettings> = {}, now?: () => number): ExperimentLoop {
  return new ExperimentLoop({
    store, pool: { acquire: () => { throw new Error('screening is off here') } }, arms: new ExperimentArms(store.experiments),
    models: standinModels('http://127.0.0.1:9/v1'), catalogue: new ModelCatalogue(), logger: pino({ level: 'silent' }),
    notices: { post: async (text) => { notices.posted.push(text); }, ask: async (text, experimentId) => { notices.asked.push({ text, experimentId }); } },
    settings: { ...SETTINGS, ...settings }, ...(now ? { now } : {}),
  });
}

const logRun = (r: ServedRun) => seedServedRun(store, r);

/** A running experiment: agent `id` v1 (gpt-4.1) against v2 (the cheaper model), from a cheaper_model proposal. */
async function cheaperModelExperiment(id: string): Promise<{ experimentId: string; enhancementId: string }> {
  await store.agents.save({ agentId: id, specialty: id, description: `${id} questions`, model: 'gpt-4.1', systemPrompt: `You answer ${id} questions precisely.` });
  const proposal = await store.enhancements.propose({ source: 'analytics', targetKind: 'agent', targetId: id, category: 'cheaper_model',
    change: { model: 'gpt-4.1-mini', from: 'gpt-4.1' }, reasons: 'outcomes look equal' });
  const report = await loop().pass(memoryMeter());
  expect(report.started).toHaveLength(1);
  const experiment = await store.experiments.running('agent', id);
  expect(experiment).toMatchObject({ controlVersion: 1, candidateVersion: 2 });
  return { experimentId: experiment!.id, enhancementId: proposal!.id };
}

/** n runs per arm; `candidateAccepts` of every 10 candidate runs are accepted (control: 9 of 10). */
async function fillArms(agentId: string, experimentId: string, n: number, candidateAccepts: number) {
  for (let i = 0; i < n; i++) {
    await logRun({ agentId, version: 1, experiment: { id: experimentId, arm: 'control' }, costUsd: 0.02 + (i % 3) * 0.001, outcome: i % 10 < 9 ? 'accepted' : 'corrected' });
    await logRun({ agentId, version: 2, experiment: { id: experimentId, arm: 'candidate' }, costUsd: 0.004 + (i % 3) * 0.0002, outcome: i % 10 < candidateAccepts ? 'accepted' : 'corrected' });
  }
}

beforeEach(async () => {
  store = await pgliteStore();
  notices = { posted: [], asked: [] };
});
afterEach(async () => { await store.close(); });

describe('decisions on synthetic logs', () => {
  test('as good and five times cheaper: promoted, the new version is current, the proposal records before → after with its interval', async () => {
    const { enhancementId } = await cheaperModelExperiment('billing');
    const experiment = (await store.experiments.running('agent', 'billing'))!;
    await fillArms('billing', experiment.id, 60, 9);
    const report = await loop().pass(memoryMeter());
    expect(report.promoted.join()).toMatch(/`billing` v2: cheaper model: cost \$0\.02\d* → \$0\.004\d*; success 90\.0% → 90\.0% \(60 runs with it, 60 without\)/);
    expect(await store.agents.currentVersions(['billing'])).toEqual({ billing: 2 });
    const enhancement = await store.enhancements.get(enhancementId);
    expect(enhancement).toMatchObject({ status: 'applied', experimentId: experiment.id });
    const impact = enhancement!.measuredImpact as { interval: { target: { upper: number } }; before: number; after: number };
    expect(impact.interval.target.upper).toBeLessThan(0);
    expect(impact.after / impact.before).toBeLessThan(0.25);
    expect(notices.posted.join()).toMatch(/Improvement applied/);
  });

  test('cheaper but worse on success beyond the margin: rejected, v1 keeps serving, v2 is archived', async () => {
    await cheaperModelExperiment('legal');
    const experiment = (await store.experiments.running('agent', 'legal'))!;
    await fillArms('legal', experiment.id, 120, 5);
    const report = await loop().pass(memoryMeter());
    expect(report.rejected.join()).toMatch(/`legal` v2: .*success.*worse beyond the margin/);
    expect(report.promoted).toEqual([]);
    expect(await store.agents.currentVersions(['legal'])).toEqual({ legal: 1 });
    expect(await store.agents.get('legal', 2)).toMatchObject({ status: 'archived' });
    expect(await store.experiments.running('agent', 'legal')).toBeNull();
  });

  test('too few runs: the experiment continues (no decision from a handful of lucky answers)', async () => {
    await cheaperModelExperiment('hr');
    const experiment = (await store.experiments.running('agent', 'hr'))!;
    await fillArms('hr', experiment.id, 8, 10);
    const report = await loop().pass(memoryMeter());
    expect([...report.promoted, ...report.rejected]).toEqual([]);
    expect(await store.experiments.running('agent', 'hr')).not.toBeNull();
  });

  test('promoted, then its score drops in ordinary traffic: rolled back to the version it replaced, and said so', async () => {
    await cheaperModelExperiment('ops');
    const experiment = (await store.experiments.running('agent', 'ops'))!;
    await fillArms('ops', experiment.id, 60, 9);
    await loop().pass(memoryMeter());
    expect(await store.agents.currentVersions(['ops'])).toEqual({ ops: 2 });
    // A steady 90 % after promotion keeps it.
    for (let i = 0; i < 40; i++) await logRun({ agentId: 'ops', version: 2, costUsd: 0.004, outcome: i % 10 < 9 ? 'accepted' : 'corrected' });
    expect((await loop().pass(memoryMeter())).rolledBack).toEqual([]);
    // Then the world changes: most answers of v2 get corrected.
    for (let i = 0; i < 150; i++) await logRun({ agentId: 'ops', version: 2, costUsd: 0.004, outcome: i % 10 < 3 ? 'accepted' : 'corrected' });
    const report = await loop().pass(memoryMeter());
    expect(report.rolledBack).toEqual(['`ops` v2']);
    expect(await store.agents.currentVersions(['ops'])).toEqual({ ops: 1 });
    expect((await store.experiments.list('rolled_back')).map((e) => e.id)).toEqual([experiment.id]);
    expect(notices.posted.join()).toMatch(/Rolled back:\* `ops` v2 — score dropped after promotion/);
  });

  test('approval mode: a winning candidate waits for an admin (asked once, with buttons); the approval promotes it and is recorded', async () => {
    const { enhancementId } = await cheaperModelExperiment('travel');
    const experiment = (await store.experiments.running('agent', 'travel'))!;
    await fillArms('travel', experiment.id, 60, 9);
    const admin = loop({ approval: 'admin' });
    expect((await admin.pass(memoryMeter())).awaitingApproval).toEqual([experiment.id]);
    expect((await admin.pass(memoryMeter())).awaitingApproval).toEqual([experiment.id]);
    expect(notices.asked).toHaveLength(1);
    expect(notices.asked[0]).toMatchObject({ experimentId: experiment.id });
    expect(notices.asked[0]!.text).toMatch(/Ready to promote:\* `travel` v2 — cheaper model: cost/);
    expect(await store.agents.currentVersions(['travel'])).toEqual({ travel: 1 });

    expect(await admin.approve(experiment.id.slice(0, 8), 'UADMIN', true)).toMatch(/Promoted: `travel` v2 \(cheaper_model\), approved by <@UADMIN>/);
    expect(await store.agents.currentVersions(['travel'])).toEqual({ travel: 2 });
    expect(await store.enhancements.get(enhancementId)).toMatchObject({ status: 'applied', approvedBy: 'UADMIN' });
    expect((await store.experiments.list('promoted'))[0]?.decision).toMatchObject({ approvedBy: 'UADMIN' });
    expect(await admin.approve(experiment.id, 'UADMIN', true)).toBe('That experiment is not running any more.');
  });

  test('an admin rejects the waiting candidate: nothing changes, the decision is recorded as theirs', async () => {
    const { enhancementId } = await cheaperModelExperiment('sales');
    const experiment = (await store.experiments.running('agent', 'sales'))!;
    await fillArms('sales', experiment.id, 60, 9);
    const admin = loop({ approval: 'admin' });
    await admin.pass(memoryMeter());
    expect(await admin.approve(experiment.id, 'UADMIN', false)).toMatch(/Rejected: `sales` v2 \(cheaper_model\), by <@UADMIN>/);
    expect(await store.agents.currentVersions(['sales'])).toEqual({ sales: 1 });
    expect(await store.enhancements.get(enhancementId)).toMatchObject({ status: 'rejected', reasons: 'rejected by <@UADMIN>' });
  });

  test('a change applied to a parent is proposed to the agent that inherits from it, as its own experiment', async () => {
    await cheaperModelExperiment('support');
    await store.agents.save({ agentId: 'support-emea', specialty: 'EMEA support', description: 'support questions from EMEA customers', model: 'gpt-4.1',
      systemPrompt: 'You answer EMEA support questions, in the customer’s language.' });
    await store.agents.addLineage({ childKind: 'agent', childId: 'support-emea', relation: 'inherits', parentKind: 'agent', parentId: 'support' });
    const experiment = (await store.experiments.running('agent', 'support'))!;
    await fillArms('support', experiment.id, 60, 9);
    await loop().pass(memoryMeter()); // promotes support v2, proposes to the child; the same pass may start the child's experiment
    const childProposal = (await store.enhancements.list(['proposed', 'testing'])).find((e) => e.targetId === 'support-emea');
    expect(childProposal).toMatchObject({ source: 'peer', category: 'cheaper_model', change: expect.objectContaining({ model: 'gpt-4.1-mini', inheritedFrom: 'support' }) });
    await loop({ maxTraffic: 1 }).pass(memoryMeter()); // (the parent's experiment filled the last hour's cap)
    expect(await store.experiments.running('agent', 'support-emea')).toMatchObject({ controlVersion: 1, candidateVersion: 2 });
    expect(await store.agents.currentVersions(['support-emea'])).toEqual({ 'support-emea': 1 }); // not applied blindly
  });
});

describe('experiment controls', () => {
  test('one experiment per target: a second proposal for a busy agent waits; the store refuses a second running one', async () => {
    await cheaperModelExperiment('finance');
    await store.enhancements.propose({ source: 'user', targetKind: 'agent', targetId: 'finance', category: 'cheaper_model', change: { model: 'gpt-4.1-nano', from: 'gpt-4.1' }, reasons: 'cheaper still' });
    const report = await loop().pass(memoryMeter());
    expect(report.started).toEqual([]);
    expect((await store.enhancements.list(['proposed'])).map((e) => e.change.model)).toEqual(['gpt-4.1-nano']);
    const again = await store.experiments.create({ targetKind: 'agent', targetId: 'finance', controlVersion: 1, candidateVersion: 1, share: 0.2 });
    expect(again).toMatchObject({ ok: false, reason: 'already_running' });
  });

  test('the traffic cap: while candidates served ≥ EXPERIMENT_MAX_TRAFFIC of the last hour, no new experiment starts', async () => {
    const { experimentId } = await cheaperModelExperiment('design');
    for (let i = 0; i < 10; i++) await logRun({ agentId: 'design', version: 2, experiment: { id: experimentId, arm: 'candidate' }, costUsd: 0.004, outcome: 'accepted' });
    for (let i = 0; i < 10; i++) await logRun({ agentId: 'design', version: 1, experiment: { id: experimentId, arm: 'control' }, costUsd: 0.02, outcome: 'accepted' });
    await store.agents.save({ agentId: 'data', specialty: 'data', description: 'data questions', model: 'gpt-4.1', systemPrompt: 'You answer data questions with numbers.' });
    await store.enhancements.propose({ source: 'analytics', targetKind: 'agent', targetId: 'data', category: 'cheaper_model', change: { model: 'gpt-4.1-mini', from: 'gpt-4.1' }, reasons: 'x' });
    expect(await store.experiments.traffic(new Date(Date.now() - 3_600_000))).toEqual({ runs: 20, candidate: 10 });
    const held = await loop({ maxTraffic: 0.3 }).pass(memoryMeter());
    expect(held.started).toEqual([]);
    expect(held.held).toBe("no new experiment: candidates served 50% of the last hour's 20 requests (EXPERIMENT_MAX_TRAFFIC 30%)");
    // With more ordinary traffic the share under experiment falls below the cap and the waiting proposal starts.
    for (let i = 0; i < 30; i++) await logRun({ agentId: 'design', version: 1, costUsd: 0.02, outcome: 'accepted' });
    expect((await loop({ maxTraffic: 0.3 }).pass(memoryMeter())).started).toEqual(['cheaper_model on data: model gpt-4.1-mini instead of gpt-4.1']);
  });

  test('sticky assignment per thread, about the configured share across threads, and no arm once the experiment ends', async () => {
    const { experimentId } = await cheaperModelExperiment('it');
    const arms: string[] = [];
    for (let i = 0; i < 400; i++) arms.push((await store.experiments.assign(experimentId, `T1:C1:${i}`))!);
    for (let i = 0; i < 400; i += 37) expect(await store.experiments.assign(experimentId, `T1:C1:${i}`)).toBe(arms[i]);
    const share = arms.filter((a) => a === 'candidate').length / arms.length;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    const experimentArms = new ExperimentArms(store.experiments);
    expect(await experimentArms.assign({ kind: 'agent', id: 'it' }, 'T1:C1:0')).toMatchObject({ arm: arms[0], agentVersion: arms[0] === 'candidate' ? 2 : 1 });
    expect(await loop().stop(experimentId.slice(0, 8), 'UADMIN')).toMatch(/Stopped the experiment on `it` v2; the current version keeps serving/);
    experimentArms.forget({ kind: 'agent', id: 'it' });
    expect(await experimentArms.assign({ kind: 'agent', id: 'it' }, 'T1:C1:0')).toBeNull();
    expect(await store.experiments.assign(experimentId, 'T1:C1:999')).toBeNull();
  });
});
