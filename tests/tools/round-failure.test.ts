import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { ask, script } from './helpers.js';

// A tool round completes (and is paid for), then the next model round fails: the run is failed, and the
// completed round's tokens and cost are still in the run log.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', MODEL_MAX_RETRIES: '0' }); });
afterAll(async () => { await h?.close(); });

test('tokens of rounds that finished before a failure are recorded', async () => {
  script(h, 'data-analysis', (n) => (n === 0
    ? { toolCalls: [{ name: 'calculator', arguments: { expression: '17.5% * 2340' } }], usage: { prompt_tokens: 400, completion_tokens: 20 } }
    : { error: { status: 500 } }));
  const { run } = await ask(h, 'Calculate 17.5% of 2,340 and show the statistics');
  expect(run).toMatchObject({ status: 'failed', errorClass: 'MODEL_SERVER_ERROR', tokensIn: 400, tokensOut: 20 });
  expect(run.costUsd).toBeGreaterThan(0);
  expect(run.steps.map((s) => [s.kind, s.status])).toEqual(expect.arrayContaining([['tool', 'ok'], ['model', 'ok'], ['model', 'error']]));
});
