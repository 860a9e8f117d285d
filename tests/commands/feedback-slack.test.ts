import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { SqlClient } from '../../src/store/sql-client.js';
import { dmEvent, mentionEvent, newTriggerId, postInteraction } from '../fakes/slack-events.js';
import { eventually, SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';
import { askAndWait, click, slash, sleep, storeWithSql } from './slack-helpers.js';

// /better and the feedback buttons end to end: signed slash commands and interactions in, response_url posts,
// views.open and chat.postEphemeral out, feedback and improvement proposals in a real (PGlite) database.
let h: Harness;
let sql: SqlClient;
beforeAll(async () => {
  const db = await storeWithSql();
  sql = db.sql;
  h = await startHarness({ SLACK_STREAMING: 'off' }, { store: db.store });
});
afterAll(async () => { await h?.close(); });
beforeEach(() => { h.openai.reset(); });

const feedbackFor = (runId: string) => sql.query<{ rating: number | null; text: string | null; category: string | null; source: string; user_id: string }>(
  'select rating, text, category, source, user_id from feedback where run_id = $1 order by created_at', [runId]);

describe('/better', () => {
  test('rates the caller\'s most recent answer in the channel, says which, and files an improvement proposal', async () => {
    const older = await askAndWait(h, 'What is the capital of France?');
    const latest = await askAndWait(h, 'Summarize the Q3 revenue numbers');
    await askAndWait(h, 'Something from another person', { user: 'U2' });

    const cmd = await slash(h, '/better', '2 too slow, it took ages');
    expect(cmd.status).toBe(200);
    expect(cmd.ackMs).toBeLessThan(3000);
    const reply = await cmd.reply();
    expect(reply.body.response_type).toBe('ephemeral');
    expect(reply.body.text).toMatch(/recorded 2\/5 and “too slow, it took ages” on the answer to “Summarize the Q3 revenue numbers”/);
    expect(reply.body.text).toMatch(/improvement proposal \(too slow\)/);
    expect(await feedbackFor(latest.run.id)).toEqual([{ rating: 2, text: 'too slow, it took ages', category: 'too_slow', source: 'command', user_id: 'U1' }]);
    expect(await feedbackFor(older.run.id)).toEqual([]);
    const proposals = await sql.query<{ source: string; target_kind: string; target_id: string; category: string; status: string }>(
      'select source, target_kind, target_id, category, status from enhancements where source_run_id = $1', [latest.run.id]);
    expect(proposals).toEqual([{ source: 'user', target_kind: 'agent', target_id: latest.run.agentIds[0], category: 'too_slow', status: 'proposed' }]);
  });

  test('in a DM, and with words only; no earlier answer is said plainly and stores nothing', async () => {
    h.slack.addChannel({ id: 'D5', name: 'dm', members: ['U1', h.slack.botUserId], is_im: true });
    const dm = dmEvent({ text: 'draft a haiku about autumn', user: 'U1', channel: 'D5' });
    await h.send(dm);
    const run = await eventually(async () => {
      const [r] = await h.store.runs.find({ workspaceId: 'T1', eventId: dm.event_id });
      return r?.status === 'succeeded' ? r : null;
    });
    const words = await slash(h, '/better', 'use a friendlier tone', { channel: 'D5' });
    expect((await words.reply()).body.text).toMatch(/recorded “use a friendlier tone” on the answer to “draft a haiku about autumn”.*\(tone\)/s);
    expect(await feedbackFor(run.id)).toEqual([expect.objectContaining({ rating: null, category: 'tone' })]);

    h.slack.addChannel({ id: 'C7', name: 'quiet', members: ['U2', h.slack.botUserId] });
    const before = await sql.query<{ n: number }>('select count(*)::int as n from feedback');
    const none = await slash(h, '/better', '5 great', { user: 'U2', channel: 'C7' });
    expect((await none.reply()).body.text).toMatch(/have not answered you in this conversation yet/);
    expect(await sql.query('select count(*)::int as n from feedback')).toEqual(before);
  });

  test('bad arguments get the usage help and store nothing', async () => {
    await askAndWait(h, 'one more question');
    const before = await sql.query<{ n: number }>('select count(*)::int as n from feedback');
    for (const text of ['', '7 great', '0', '3.5 meh', 'help']) {
      const cmd = await slash(h, '/better', text);
      const reply = await cmd.reply();
      expect(reply.body.text, text).toMatch(/\/better \[1-5\] \[what should be better\]/);
    }
    expect((await slash(h, '/better', '7 great').then((c) => c.reply())).body.text).toMatch(/whole number from 1 to 5 \(got `7`\)/);
    expect(await sql.query('select count(*)::int as n from feedback')).toEqual(before);
  });

  test('acks within 3 s while the database and the model are slow; the answer follows', async () => {
    const { run } = await askAndWait(h, 'a question to rate later');
    h.openai.enqueue({ text: 'a slow answer', delayMs: 5000 });
    void h.send(mentionEvent({ text: 'this one takes the model a while', user: 'U2', channel: 'C1' }));
    const feedback = h.store.feedback;
    const latestRun = feedback.latestRun.bind(feedback);
    feedback.latestRun = async (key) => { await sleep(4000); return latestRun(key); };
    try {
      const sent = Date.now();
      const cmd = await slash(h, '/better', '4 good but slow to start');
      expect(cmd.status).toBe(200);
      expect(cmd.ackMs).toBeLessThan(3000);
      expect(cmd.replies()).toEqual([]); // still working
      const reply = await cmd.reply(15_000);
      expect(reply.at - sent).toBeGreaterThanOrEqual(3900); // the answer waited for the slow database, the ack did not
      expect(reply.body.text).toMatch(/recorded 4\/5/);
      expect(await feedbackFor(run.id)).toEqual([expect.objectContaining({ rating: 4, category: 'too_slow' })]);
    } finally {
      feedback.latestRun = latestRun;
      await h.settled();
    }
  }, 30_000);
});

describe('feedback buttons', () => {
  test('👍 / 👎 under the answer store a rating for that run; a double click counts once, the latest vote wins', async () => {
    const { run, answer } = await askAndWait(h, 'List three uses of a paperclip');
    const actions = (answer.blocks as any[]).find((b) => b.type === 'actions');
    expect(actions.elements.map((e: any) => [e.action_id, e.value])).toEqual([['feedback_up', run.id], ['feedback_down', run.id], ['feedback_more', run.id]]);

    const responseUrl = h.slack.responseUrl('buttons');
    const clicks = await Promise.all([1, 2].map(() => click(h, 'feedback_up', run.id, { user: 'U2', messageTs: answer.ts, responseUrl })));
    expect(clicks.map((r) => r.status)).toEqual([200, 200]);
    await eventually(() => h.slack.responseUrlPosts.filter((p) => p.id === 'buttons').length === 2);
    expect(await feedbackFor(run.id)).toEqual([{ rating: 5, text: null, category: null, source: 'button', user_id: 'U2' }]);
    expect(h.slack.responseUrlPosts.filter((p) => p.id === 'buttons').map((p) => p.body.text).join('\n')).toMatch(/counts once/);

    await click(h, 'feedback_down', run.id, { user: 'U2', messageTs: answer.ts, responseUrl });
    await eventually(async () => (await feedbackFor(run.id))[0]?.rating === 1);
    expect(await feedbackFor(run.id)).toHaveLength(1);
    await click(h, 'feedback_up', run.id, { user: 'U1', messageTs: answer.ts, responseUrl });
    await eventually(async () => (await feedbackFor(run.id)).length === 2);
  });

  test('"Tell us more" opens a modal; its submission stores rating and words; empty words are refused in the modal', async () => {
    const { run, answer } = await askAndWait(h, 'Explain DNS in one paragraph');
    await click(h, 'feedback_more', run.id, { user: 'U1', messageTs: answer.ts });
    const open = await h.slack.waitFor('views.open');
    const view = open.response.view;
    expect(view).toMatchObject({ type: 'modal', callback_id: 'feedback_modal' });
    expect(JSON.parse(view.private_metadata)).toMatchObject({ runId: run.id, channelId: 'C1' });

    const submit = (text: string) => postInteraction(`${h.url}/slack/events`, SIGNING_SECRET, {
      type: 'view_submission', team: { id: 'T1' }, user: { id: 'U1', team_id: 'T1' }, api_app_id: 'A1', token: 't', trigger_id: newTriggerId(),
      view: { ...view, state: { values: {
        rating: { value: { type: 'static_select', selected_option: { value: '2', text: { type: 'plain_text', text: '2 — poor' } } } },
        text: { value: { type: 'plain_text_input', value: text } },
      } } },
    });
    const empty = await submit('   ');
    expect(await empty.json()).toMatchObject({ response_action: 'errors', errors: { text: expect.any(String) } });
    expect(await feedbackFor(run.id)).toEqual([]);

    expect((await submit('It missed the part about caching')).status).toBe(200);
    await eventually(async () => (await feedbackFor(run.id)).length === 1);
    expect(await feedbackFor(run.id)).toEqual([{ rating: 2, text: 'It missed the part about caching', category: 'incomplete', source: 'modal', user_id: 'U1' }]);
    const note = await eventually(() => h.slack.ephemerals.find((e) => e.user === 'U1' && /missed the part about caching/.test(e.text ?? '')));
    expect(note.channel).toBe('C1');
  });

  test('streamed answers carry the buttons too', async () => {
    const streaming = await startHarness({ SLACK_STREAMING: 'auto' });
    try {
      const event = mentionEvent({ text: 'stream me an answer', user: 'U1', channel: 'C1' });
      await streaming.send(event);
      const stop = await streaming.slack.waitFor('chat.stopStream', () => true, 10_000);
      expect(JSON.stringify(stop.args.blocks)).toMatch(/feedback_up/);
      const [run] = await streaming.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
      expect(JSON.stringify(stop.args.blocks)).toContain(run!.id);
    } finally {
      await streaming.close();
    }
  });
});
