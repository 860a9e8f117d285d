import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

// The loop's intake of proposals (the whole app over signed Slack HTTP and the OpenAI wire, PGlite): people's
// /better proposals stay open (they are for admins, never tested by the loop); however many pile up, an older
// testable proposal still gets its experiment. Before, the loop read only the 100 latest open proposals.
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ SLACK_STREAMING: 'off', SCREEN_SAMPLES: '0', IMPROVER_SCHEDULE: 'off', EXPERIMENT_MAX_TRAFFIC: '1' });
  await h.store.agents.save({ agentId: 'patents', specialty: 'patent search', description: 'prior art searches for patents and inventions', model: 'gpt-4.1',
    systemPrompt: 'You are a patent search specialist: list prior art, claims at risk and what to search next.' });
});
afterAll(async () => { await h?.close(); });

describe('proposal intake', () => {
  test('a testable proposal filed before 150 /better proposals still starts its experiment', async () => {
    await h.store.enhancements.propose({ source: 'analytics', targetKind: 'agent', targetId: 'patents', category: 'cheaper_model',
      change: { model: 'gpt-4.1-mini', from: 'gpt-4.1', baseVersion: 1 }, reasons: 'test' });
    for (let i = 0; i < 150; i++) {
      await h.store.enhancements.propose({ source: 'user', targetKind: 'agent', targetId: 'general', category: 'other', change: { text: `feedback ${i}` }, reasons: 'rating 1' });
    }
    const [outcome] = await h.app.analysts.scheduler.runNow(['improver']);
    expect(outcome).toMatchObject({ claimed: true });
    expect((outcome as { result: { summary: string[] } }).result.summary.join('\n')).toMatch(/experiment started: cheaper_model on patents: model gpt-4\.1-mini/);
    expect(await h.store.experiments.list('running')).toEqual([expect.objectContaining({ targetKind: 'agent', targetId: 'patents' })]);
  });
});
