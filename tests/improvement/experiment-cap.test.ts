import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RecordedRequest, Reply } from '../fakes/openai-standin.js';
import { askAndWait, click } from '../commands/slack-helpers.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// EXPERIMENT_MAX_SAMPLES end to end (signed Slack HTTP, the OpenAI wire): a change that makes no measurable
// difference is stopped at the cap and the current version kept — and its agent is free again, so the next
// proposal for it starts. Before the cap was wired, such an experiment ran forever and held the agent's turn.
let h: Harness;
const schema = (r: RecordedRequest) => r.body.response_format?.json_schema?.name ?? r.body.tool_choice?.function?.name;

/** Every answer is equally good whatever the prompt: the revision changes nothing anyone can measure. */
const world = (req: RecordedRequest): Reply => {
  if (schema(req) === 'judge') return { json: { better: 'tie', reason: 'the same' } };
  if (schema(req) === 'route') return { json: { agent_id: 'patents', reason: 'x' } };
  if (schema(req) === 'prompt_revision') {
    return { json: { systemPrompt: 'You are a patent search specialist: list prior art, claims at risk and what to search next. Be brief.', change: 'Asks for brevity.' } };
  }
  return { text: 'Prior art: three patents on folding frames.', usage: { prompt_tokens: 800, completion_tokens: 200 } };
};

beforeAll(async () => {
  h = await startHarness({
    SLACK_STREAMING: 'off', EXPERIMENT_TRAFFIC_SHARE: '0.5', EXPERIMENT_MIN_SAMPLES: '4', EXPERIMENT_MAX_SAMPLES: '20', EXPERIMENT_MARGIN: '0.5', EXPERIMENT_MAX_TRAFFIC: '1',
    SCREEN_SAMPLES: '0', IMPROVER_SCHEDULE: 'off', OUTCOME_WINDOW_SECONDS: '3600',
  });
  h.openai.setResponder(world);
  await h.store.agents.save({ agentId: 'patents', specialty: 'patent search', description: 'prior art searches for patents and inventions', model: 'gpt-4.1',
    systemPrompt: 'You are a patent search specialist: list prior art, claims at risk and what to search next.' });
});
afterAll(async () => { await h?.close(); });

async function improverPass(): Promise<string> {
  const [outcome] = await h.app.analysts.scheduler.runNow(['improver']);
  expect(outcome).toMatchObject({ claimed: true });
  return (outcome as { result: { summary: string[] } }).result.summary.join('\n');
}

describe('the experiment sample cap', () => {
  test('an experiment with no clear answer stops at EXPERIMENT_MAX_SAMPLES, keeps the current version, and frees its agent', async () => {
    await h.store.enhancements.propose({ source: 'analytics', targetKind: 'agent', targetId: 'patents', category: 'prompt_revision',
      change: { baseVersion: 1, complaints: [{ request: 'prior art for a hinge', rating: 2, comment: 'too long' }] }, reasons: 'test' });
    expect(await improverPass()).toMatch(/experiment started: prompt_revision on patents/);
    // Filed while the first runs: it waits, since an agent has one experiment at a time.
    await h.store.enhancements.propose({ source: 'analytics', targetKind: 'agent', targetId: 'patents', category: 'cheaper_model',
      change: { model: 'gpt-4.1-mini', from: 'gpt-4.1', baseVersion: 1 }, reasons: 'test' });

    let settled = 0;
    for (let i = 0; settled < 20; i++) {
      const { run, answer } = await askAndWait(h, `Find prior art for folding frame design ${i}`);
      await click(h, 'feedback_up', run.id, { messageTs: answer.ts });
      await eventually(async () => (await h.store.runs.get(run.id))?.outcome);
      if (run.experimentArm) settled++;
      if (settled === 10) expect(await improverPass()).not.toMatch(/rejected|promoted/); // under the cap: still running
    }

    const summary = await improverPass();
    expect(summary).toMatch(/rejected: `patents` v2: .*sample cap of 20 reached/);
    expect(summary).toMatch(/experiment started: cheaper_model on patents: model gpt-4\.1-mini/);
    const stopped = (await h.store.experiments.list()).find((e) => e.status === 'stopped');
    expect(stopped).toMatchObject({ targetKind: 'agent', targetId: 'patents', controlVersion: 1, candidateVersion: 2 });
    expect(await h.store.agents.get('patents', 2)).toMatchObject({ status: 'archived' }); // rejected candidates are archived
    expect(await h.store.agents.currentVersions(['patents'])).toEqual({ patents: 1 });
    const revision = (await h.store.enhancements.list(['rejected'])).find((e) => e.category === 'prompt_revision');
    expect(revision?.reasons).toMatch(/sample cap of 20 reached/);
  });
});
