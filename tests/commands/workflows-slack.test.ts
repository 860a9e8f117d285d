import { StoreWorkflowMatcher } from '../../src/workflows/workflow-matcher.js';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { eventCallback, mentionEvent, nextMessageTs } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { askAndWait, slash } from './slack-helpers.js';

// /save-workflow, /workflows and the App Home through the Slack stand-in. (Replaying a saved workflow is the
// goal path's: it calls store.workflows.match/get; here the match is checked at the store.)
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off' }); });
afterAll(async () => { await h?.close(); });
beforeEach(() => { h.openai.reset(); });

const say = async (command: string, text: string, o: { user?: string; channel?: string } = {}) => {
  const cmd = await slash(h, command, text, o);
  expect(cmd.status).toBe(200);
  expect(cmd.ackMs).toBeLessThan(3000);
  return (await cmd.reply()).body.text as string;
};

describe('/save-workflow and /workflows', () => {
  test('saves the last answer as a one-task workflow; a taken name is refused clearly; --replace overwrites', async () => {
    const { run } = await askAndWait(h, 'Draft the weekly status update from the sprint board');
    expect(await say('/save-workflow', 'weekly-status Mondays at 9')).toMatch(
      /Saved workflow `weekly-status` \(1 task: .+\) from your request “Draft the weekly status update from the sprint board”.*run workflow weekly-status/s);
    const saved = await h.store.workflows.get('T1', 'weekly-status');
    expect(saved).toMatchObject({ kind: 'saved', description: 'Mondays at 9', createdBy: 'U1', sourceRunId: run.id, version: 1,
      triggers: ['Draft the weekly status update from the sprint board'] });
    expect(saved!.graph.tasks).toEqual([expect.objectContaining({ instructions: 'Draft the weekly status update from the sprint board', depends_on: [] })]);

    await askAndWait(h, 'Something else entirely', { user: 'U2' });
    const refusal = await say('/save-workflow', 'weekly-status', { user: 'U2' });
    expect(refusal).toMatch(/A workflow named `weekly-status` already exists \(saved by <@U1>.*Nothing was saved.*\/save-workflow weekly-status --replace/s);
    expect((await h.store.workflows.get('T1', 'weekly-status'))?.version).toBe(1);

    await askAndWait(h, 'Draft the weekly status update, with risks first');
    expect(await say('/save-workflow', '—replace Weekly-Status')).toMatch(/Replaced workflow `weekly-status`/);
    expect(await h.store.workflows.get('T1', 'weekly-status')).toMatchObject({ version: 2, triggers: ['Draft the weekly status update, with risks first'] });

    // What the goal path will find for a later request.
    const matcher = new StoreWorkflowMatcher(h.store.workflows);
    expect((await matcher.match('T1', 'draft the weekly status update with the risks first')).active?.name).toBe('weekly-status');
    expect((await matcher.match('T1', 'run workflow weekly-status')).active?.reason).toMatch(/by name/);
  });

  test('a goal is saved with its whole task graph', async () => {
    const plan = { title: 'Launch kit', tasks: [
      { id: 'a', title: 'Research', instructions: 'research competitors', specialty: 'research', depends_on: [], level: 'tactical', done_when: 'facts' },
      { id: 'b', title: 'Announce', instructions: 'draft the announcement', specialty: 'writing', depends_on: ['a'], level: 'operational', done_when: 'draft' },
    ] };
    h.openai.setResponder((req) => {
      if (req.body.response_format?.json_schema?.name === 'plan') return { json: plan };
      if (req.body.response_format?.json_schema?.name === 'route') return { json: { agent_id: 'general', reason: 'x' } };
      return { text: req.lastUserMessage.startsWith('Combine these task results') ? 'The launch kit.' : 'task result' };
    });
    const goal = mentionEvent({ text: 'plan: research competitors, then draft the announcement', user: 'U1', channel: 'C1' });
    await h.send(goal);
    await eventually(async () => (await h.store.runs.find({ workspaceId: 'T1', eventId: goal.event_id }))[0]?.status === 'succeeded', 15_000);
    expect(await say('/save-workflow', 'launch-kit')).toMatch(/Saved workflow `launch-kit` \(2 tasks: research → writing\)/);
    expect((await h.store.workflows.get('T1', 'launch-kit'))?.graph).toEqual(plan);
  });

  test('/workflows lists saved workflows with uses, success rate and rating; delete removes one', async () => {
    const { run } = await askAndWait(h, 'Collect the open incidents and summarize them');
    expect(await say('/save-workflow', 'incident-digest')).toMatch(/Saved workflow `incident-digest`/);
    const wf = (await h.store.workflows.get('T1', 'incident-digest'))!;
    await h.store.workflows.recordUse(wf.id, run.id, true);
    await h.store.feedback.record({ runId: run.id, workspaceId: 'T1', userId: 'U1', source: 'command', rating: 4 });

    const list = await say('/workflows', '');
    expect(list).toMatch(/\*Saved workflows \(\d+\)\*/);
    expect(list).toMatch(/`incident-digest` \(saved\) — Collect the open incidents and summarize them\n\s+1 task: .+ · 1 use · 100\.0% success · avg 4\.00\/5/);
    expect(list).toMatch(/\*Learned workflows \(0\)\*\nnone yet/);

    expect(await say('/workflows', 'delete incident-digest')).toBe('Deleted workflow `incident-digest`.');
    expect(await say('/workflows', 'delete incident-digest')).toMatch(/There is no workflow named `incident-digest`/);
    expect(await h.store.workflows.get('T1', 'incident-digest')).toBeNull();
  });

  test('no earlier run, a failed run, and bad arguments: clear answers, nothing saved', async () => {
    h.slack.addChannel({ id: 'C8', name: 'fresh', members: ['U2', h.slack.botUserId] });
    expect(await say('/save-workflow', 'nothing-here', { user: 'U2', channel: 'C8' })).toMatch(/nothing to save/);
    h.openai.enqueue({ error: { status: 401, code: 'invalid_api_key' } });
    const failing = mentionEvent({ text: 'this one will fail', user: 'U2', channel: 'C8' });
    await h.send(failing);
    await eventually(async () => (await h.store.runs.find({ workspaceId: 'T1', eventId: failing.event_id }))[0]?.status === 'failed');
    expect(await say('/save-workflow', 'failed-one', { user: 'U2', channel: 'C8' })).toMatch(/did not succeed \(failed\).*Nothing was saved/s);
    for (const [text, problem] of [['', /Give the workflow a name/], ['Bad_Name!', /not a valid name/], ['ok-name --force', /Unknown option `--force`/]] as const) {
      expect(await say('/save-workflow', text), text).toMatch(new RegExp(`${problem.source}[\\s\\S]*/save-workflow <name> \\[description\\] \\[--replace\\]`));
    }
    expect(await say('/workflows', 'frobnicate')).toMatch(/`\/workflows frobnicate` is not something I can do[\s\S]*\/workflows delete <name>/);
    expect(await say('/workflows', 'delete')).toMatch(/\/workflows delete <name>/);
    expect((await h.store.workflows.list('T1')).map((w) => w.name)).not.toContain('failed-one');
  });
});

describe('App Home', () => {
  test('app_home_opened publishes the metrics summary and the saved workflows', async () => {
    await askAndWait(h, 'Write a release note for version 2.1');
    await say('/save-workflow', 'release-note');
    await h.send(eventCallback({ type: 'app_home_opened', user: 'U1', channel: 'D1', tab: 'home', event_ts: nextMessageTs() }));
    const publish = await h.slack.waitFor('views.publish');
    expect(publish.response.ok).toBe(true);
    expect(publish.args.user_id).toBe('U1');
    const home = JSON.stringify(publish.args.view);
    expect(publish.args.view.type).toBe('home');
    expect(home).toMatch(/Metrics — the last 7 days/);
    expect(home).toMatch(/Runs: \d+ · Success rate:/);
    expect(home).toMatch(/\*summarizer\* v1 — summarizer · tools: `slack_read_thread`, `slack_read_channel`/);
    expect(home).toMatch(/`release-note` \(saved\)/);
    // The Messages tab opening is not a reason to republish.
    await h.send(eventCallback({ type: 'app_home_opened', user: 'U2', channel: 'D2', tab: 'messages', event_ts: nextMessageTs() }));
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.callsTo('views.publish').filter((c) => c.args.user_id === 'U2')).toEqual([]);
  });
});
