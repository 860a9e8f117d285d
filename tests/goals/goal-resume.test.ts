import { afterAll, expect, test } from 'vitest';
import type { Plan } from '../../src/goals/plan.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { pgliteStore } from '../support/stores.js';

// A goal was running when its process died: one task finished, one not. A new process starts on the same
// database, takes the goal over once its lease has expired, runs only the unfinished task, and answers in the
// original thread.
let h: Harness | undefined;
afterAll(async () => { await h?.close(); });

test('resume after a restart with one task finished', async () => {
  const store = await pgliteStore();
  const plan: Plan = { title: 'Launch', tasks: [
    { id: 'a', title: 'Research competitors', instructions: 'research', specialty: 'research', depends_on: [], level: 'tactical', done_when: 'done' },
    { id: 'b', title: 'Draft announcement', instructions: 'draft', specialty: 'writing', depends_on: ['a'], level: 'operational', done_when: 'done' },
  ] };
  const threadTs = '1700000123.000100';
  const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'slack', channelId: 'C1', messageTs: threadTs, threadTs, userId: 'U1', requestText: 'plan: launch' });
  const goal = await store.goals.create({ runId: run.id, workspaceId: 'T1', requestText: 'plan: launch', plan, budget: {}, owner: 'dead-process',
    userId: 'U1', channelId: 'C1', threadTs, leaseSeconds: 0 });
  await store.goals.updateTask(goal.id, 'a', 'dead-process', { status: 'succeeded', agentId: 'research', result: 'Competitor facts.' });

  h = await startHarness({ SLACK_STREAMING: 'off' }, { store });
  h.openai.setResponder((req) => (/Your task: Draft announcement/.test(req.lastUserMessage)
    ? { text: 'Announcement draft.' } : { text: 'The announcement, built on the research.' }));

  const answer = await eventually(() => h!.slack.messages('C1').find((m) => m.thread_ts === threadTs && /built on the research/.test(m.text ?? '')), 15_000);
  expect(answer).toBeDefined();
  expect(h.slack.messages('C1').some((m) => m.thread_ts === threadTs && /Resuming: 1 of 2 tasks were already done/.test(m.text ?? ''))).toBe(true);
  const taskRequests = h.openai.requests.filter((r) => /Your task:/.test(r.lastUserMessage));
  expect(taskRequests.map((r) => /Your task: (.+)/.exec(r.lastUserMessage)![1])).toEqual(['Draft announcement']);
  expect(taskRequests[0]!.lastUserMessage).toContain('Competitor facts.');
  await eventually(async () => (await store.goals.get(goal.id))?.status === 'succeeded');
  await eventually(async () => (await store.runs.get(run.id))?.status === 'succeeded');
});
