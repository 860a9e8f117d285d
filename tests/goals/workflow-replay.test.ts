import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import type { RecordedRequest } from '../fakes/openai-standin.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { askAndWait, slash } from '../commands/slack-helpers.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// /save-workflow, then a matching request: the task graph is replayed with no planning call (counted at the
// OpenAI stand-in) and the answer names the workflow.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off' }); });
afterAll(async () => { await h?.close(); });
beforeEach(() => h.openai.reset());

const isPlan = (r: RecordedRequest) => r.body.response_format?.json_schema?.name === 'plan';
const taskOf = (r: RecordedRequest) => /Your task: (.+)/.exec(r.lastUserMessage)?.[1];
const responder = (req: RecordedRequest) => {
  if (isPlan(req)) {
    return { json: { title: 'Launch kit', tasks: [
      { id: 'r', title: 'Research competitors', instructions: 'research', specialty: 'research', depends_on: [], level: 'tactical', done_when: 'done' },
      { id: 'd', title: 'Draft announcement', instructions: 'draft', specialty: 'writing', depends_on: ['r'], level: 'operational', done_when: 'done' },
    ] } };
  }
  if (req.lastUserMessage.startsWith('Combine these task results')) return { text: 'The launch kit.' };
  return { text: `Result of ${taskOf(req) ?? 'direct'}.` };
};

test('a saved goal is replayed without planning; "run workflow <name>" works too; uses are counted', async () => {
  h.openai.setResponder(responder);
  const request = 'plan: research our competitors then draft the launch announcement';
  const first = await askAndWait(h, request);
  expect(first.run.route).toBe('goal');
  expect(h.openai.requests.filter(isPlan)).toHaveLength(1);

  const saved = await slash(h, '/save-workflow', 'launch-kit our launch recipe');
  expect((await saved.reply()).body.text).toMatch(/Saved workflow `launch-kit` \(2 tasks/);

  h.openai.reset();
  h.openai.setResponder(responder);
  const again = await askAndWait(h, 'plan: research our competitors, then draft the launch announcement');
  expect(again.run).toMatchObject({ route: 'workflow', status: 'succeeded' });
  expect(h.openai.requests.filter(isPlan)).toHaveLength(0);
  expect(h.openai.requests.map(taskOf).filter(Boolean)).toEqual(['Research competitors', 'Draft announcement']);
  expect(JSON.stringify(again.answer.blocks)).toContain('Workflow: launch-kit');

  h.openai.reset();
  h.openai.setResponder(responder);
  const named = mentionEvent({ text: 'run workflow launch-kit', user: 'U2', channel: 'C1' });
  await h.send(named);
  await eventually(() => h.slack.messages('C1').find((m) => m.thread_ts === named.event.ts && JSON.stringify(m.blocks ?? []).includes('Workflow: launch-kit')));
  expect(h.openai.requests.filter(isPlan)).toHaveLength(0);
  const workflow = await eventually(async () => { const w = await h.store.workflows.get('T1', 'launch-kit'); return w && w.uses >= 2 ? w : null; });
  expect(workflow.successes).toBe(2);
});
