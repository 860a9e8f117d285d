import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createLogger } from '../../src/ops/logger.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// "A run id on every line of a run": lines written by modules that know nothing about runs (here the run log's
// price warning and the Slack surface) still carry the runId of the run being handled.
const lines: Array<Record<string, unknown>> = [];
let h: Harness;
beforeAll(async () => {
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  h = await startHarness({ SLACK_STREAMING: 'off', DEFAULT_MODEL: 'model-without-a-price' },
    { logger: createLogger({ level: 'debug', secrets: ['xoxb-test-token'], destination }) });
});
afterAll(async () => { await h?.close(); });

test('lines logged while a run is handled carry its runId', async () => {
  h.openai.setResponder(() => ({ text: 'fine' }));
  h.slack.failNext('chat.update', { error: 'cant_update_message' }, 5);
  h.slack.failNext('chat.postMessage', { error: 'channel_not_found' }, 5);
  const event = mentionEvent({ text: 'what is a haiku?', user: 'U1', channel: 'C1' });
  await h.send(event);
  const run = await eventually(async () => { const [r] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id }); return r?.status !== 'running' ? r : null; });
  const priceWarning = lines.find((l) => String(l.msg).includes('no price in the catalogue'));
  expect(priceWarning?.runId).toBe(run.id);
  const surfaceLines = lines.filter((l) => /not delivered|status not shown/.test(String(l.msg)));
  expect(surfaceLines.length).toBeGreaterThan(0);
  for (const line of surfaceLines) expect(line.runId).toBe(run.id);
  expect(JSON.stringify(lines)).not.toContain('xoxb-test-token');
});
