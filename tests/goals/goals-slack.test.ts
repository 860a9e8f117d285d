import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { RecordedRequest, Reply } from '../fakes/openai-standin.js';
import { mentionEvent, postInteraction } from '../fakes/slack-events.js';
import { eventually, SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';

// Goals end to end: a mention in Slack → a plan from the planner model (structured output) → tasks run by
// specialists through the OpenAI stand-in (which records when each request started and ended) → progress
// message with a Cancel button → one synthesized answer in the thread.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', MODEL_MAX_RETRIES: '0', GOAL_CONCURRENCY: '3' }); });
afterAll(async () => { await h?.close(); });
beforeEach(() => h.openai.reset());

const task = (id: string, title: string, specialty: string, depends_on: string[] = []) =>
  ({ id, title, instructions: `Do: ${title}`, specialty, depends_on, level: 'tactical', done_when: `${title} is written` });
const isPlan = (r: RecordedRequest) => r.body.response_format?.json_schema?.name === 'plan';
const isRoute = (r: RecordedRequest) => r.body.response_format?.json_schema?.name === 'route';
const taskOf = (r: RecordedRequest) => /Your task: (.+)/.exec(r.lastUserMessage)?.[1];
const isSynthesis = (r: RecordedRequest) => r.lastUserMessage.startsWith('Combine these task results');

/** Scripts the stand-in: the plan, then each task by title, then the synthesis. */
function script(plan: unknown, perTask: (title: string) => Reply = (title) => ({ text: `Result of ${title}.`, delayMs: 300 })) {
  h.openai.setResponder((req) => {
    if (isPlan(req)) return { json: plan };
    if (isRoute(req)) return { json: { agent_id: 'general', reason: 'x' } };
    if (isSynthesis(req)) return { text: 'Here is the launch package: everything combined.' };
    const title = taskOf(req);
    return title ? perTask(title) : { text: 'direct answer' };
  });
}

const answerIn = (ts: string) => h.slack.messages('C1').find((m) => m.thread_ts === ts && m.bot_id && !/[▓░]/.test(m.text ?? '')
  && /launch package|could not|None of the tasks|stopped|cancelled/i.test(m.text ?? ''));
const progressFor = (ts: string) => h.slack.messages('C1').find((m) => m.thread_ts === ts && JSON.stringify(m.blocks ?? []).includes('▓') || (m.thread_ts === ts && /[▓░]/.test(m.text ?? '')));

describe('goals', () => {
  test('three tasks, one depending on the other two: the two overlap, the third starts after both, one answer', async () => {
    script({ title: 'Launch', tasks: [
      task('r', 'Research competitors', 'research'), task('p', 'Collect pricing', 'data analysis'),
      task('d', 'Draft announcement', 'writing', ['r', 'p']),
    ] });
    const event = mentionEvent({ text: 'plan: research competitors, collect pricing, then draft the announcement', user: 'U1', channel: 'C1' });
    await h.send(event);
    const answer = await eventually(() => answerIn(event.event.ts), 15_000);
    expect(answer.text).toMatch(/launch package/);
    const byTask = new Map(h.openai.requests.filter((r) => taskOf(r)).map((r) => [taskOf(r)!, r]));
    const [r, p, d] = ['Research competitors', 'Collect pricing', 'Draft announcement'].map((t) => byTask.get(t)!) as [RecordedRequest, RecordedRequest, RecordedRequest];
    expect(r.startedAt).toBeLessThan(p.endedAt!);
    expect(p.startedAt).toBeLessThan(r.endedAt!); // overlap, measured at the stand-in
    expect(d.startedAt).toBeGreaterThanOrEqual(Math.max(r.endedAt!, p.endedAt!));
    expect(d.lastUserMessage).toContain('Result of Research competitors.'); // gets its inputs
    expect(h.openai.requests.filter(isPlan)).toHaveLength(1);
    const [run] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
    const full = await eventually(async () => { const x = await h.store.runs.get(run!.id); return x?.status === 'succeeded' ? x : null; });
    expect(full.route).toBe('goal');
    expect(full.steps.map((s) => s.kind).sort()).toEqual(['model', 'model', 'model', 'plan', 'synthesis']);
    expect(full.tokensIn).toBeGreaterThan(0);
  });

  test('progress updates are coalesced (fewer chat.update calls than task transitions) and end without Cancel', async () => {
    const tasks = Array.from({ length: 6 }, (_, i) => task(`t${i}`, `Part ${i}`, 'writing'));
    script({ title: 'Six parts', tasks }, (title) => ({ text: `Result of ${title}.`, delayMs: 40 }));
    const event = mentionEvent({ text: 'plan: write six parts of the launch package', user: 'U1', channel: 'C1' });
    await h.send(event);
    await eventually(() => answerIn(event.event.ts), 15_000);
    const progress = await eventually(() => progressFor(event.event.ts));
    const updates = h.slack.callsTo('chat.update').filter((c) => c.args.ts === progress.ts);
    const transitions = tasks.length * 2; // pending → running → succeeded
    expect(updates.length).toBeLessThan(transitions);
    for (let i = 1; i < updates.length; i++) expect(updates[i]!.at - updates[i - 1]!.at).toBeGreaterThanOrEqual(900);
    expect(JSON.stringify(progress.blocks)).not.toContain('goal_cancel');
    expect(JSON.stringify(progress.blocks)).toContain('6/6');
  });

  test('a failing task blocks only its dependent; the others finish and the answer says what could not be done', async () => {
    script({ title: 'Launch', tasks: [
      task('r', 'Research competitors', 'research'), task('p', 'Collect pricing', 'data analysis'),
      task('d', 'Draft announcement', 'writing', ['r']),
    ] }, (title) => (title === 'Research competitors' ? { error: { status: 400, code: 'invalid_request_error' } } : { text: `Result of ${title}.` }));
    const event = mentionEvent({ text: 'plan: research competitors, collect pricing, then draft the announcement', user: 'U1', channel: 'C1' });
    await h.send(event);
    const answer = await eventually(() => answerIn(event.event.ts), 15_000);
    expect(answer.text).toMatch(/"Research competitors" failed, so "Draft announcement" could not be done/);
    expect(h.openai.requests.some((r) => taskOf(r) === 'Collect pricing')).toBe(true);
    expect(h.openai.requests.some((r) => taskOf(r) === 'Draft announcement')).toBe(false);
  });

  test('a malformed plan twice: answered directly with a note, no crash', async () => {
    h.openai.setResponder((req) => (isPlan(req) ? { raw: '{"title": ' } : isRoute(req) ? { json: { agent_id: 'general', reason: 'x' } } : { text: 'Direct answer instead.' }));
    const event = mentionEvent({ text: 'plan: research competitors and draft a post', user: 'U1', channel: 'C1' });
    await h.send(event);
    await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === event.event.ts && /Direct answer instead/.test(m.text ?? '')));
    expect(h.slack.messages('C1').some((m) => m.thread_ts === event.event.ts && /could not break this into a plan/.test(m.text ?? ''))).toBe(true);
    expect(h.openai.requests.filter(isPlan)).toHaveLength(2);
  });

  test('Cancel stops the remaining tasks; only the requester may cancel; the goal and run are recorded as cancelled', async () => {
    script({ title: 'Slow', tasks: [task('a', 'Slow step one', 'writing'), task('b', 'Slow step two', 'writing', ['a'])] },
      (title) => ({ text: `Result of ${title}.`, delayMs: 1500 }));
    const event = mentionEvent({ text: 'plan: write step one then step two', user: 'U1', channel: 'C1' });
    await h.send(event);
    const progress = await eventually(() => { const m = progressFor(event.event.ts); return m && JSON.stringify(m.blocks).includes('goal_cancel') ? m : null; });
    const goalId = JSON.parse(JSON.stringify(progress.blocks)).find((b: { type: string }) => b.type === 'actions').elements[0].value as string;
    const click = (user: string) => postInteraction(`${h.url}/slack/events`, SIGNING_SECRET, {
      type: 'block_actions', user: { id: user, team_id: 'T1' }, team: { id: 'T1' }, api_app_id: 'A1', token: 't',
      channel: { id: 'C1' }, container: { type: 'message', message_ts: progress.ts, channel_id: 'C1' }, message: { ts: progress.ts },
      response_url: h.slack.responseUrl(), trigger_id: '1.2.3',
      actions: [{ type: 'button', action_id: 'goal_cancel', block_id: 'goal_controls', value: goalId, action_ts: '1' }],
    });
    expect((await click('U2')).status).toBe(200);
    await eventually(() => h.slack.responseUrlPosts.some((p) => /Only <@U1> can cancel/.test(p.body.text)));
    expect((await click('U1')).status).toBe(200);
    await eventually(async () => (await h.store.goals.get(goalId))?.status === 'cancelled', 10_000);
    const goal = await h.store.goals.get(goalId);
    expect(goal?.tasks.find((t) => t.taskId === 'b')?.status).toBe('cancelled');
    expect(h.openai.requests.some((r) => taskOf(r) === 'Slow step two')).toBe(false);
    const [run] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
    await eventually(async () => (await h.store.runs.get(run!.id))?.status === 'cancelled');
  });

  test('the token budget stops the goal cleanly and says which limit', async () => {
    await h.app.store.transport.call('app_ping'); // the store is live
    const tasks = Array.from({ length: 4 }, (_, i) => task(`t${i}`, `Chunk ${i}`, 'writing', i === 0 ? [] : [`t${i - 1}`]));
    script({ title: 'Chunks', tasks }, (title) => ({ text: `Result of ${title}.`, usage: { prompt_tokens: 150_000, completion_tokens: 10 } }));
    const event = mentionEvent({ text: 'plan: write four chunks, one after another', user: 'U1', channel: 'C1' });
    await h.send(event);
    const answer = await eventually(() => answerIn(event.event.ts), 15_000);
    expect(answer.text).toMatch(/stopped at the token budget/);
    expect(h.openai.requests.filter((r) => taskOf(r)).length).toBe(2); // 150k + 150k ≥ 200k default budget
  });
});
