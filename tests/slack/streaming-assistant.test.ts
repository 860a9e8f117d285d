import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { assistantThreadStartedEvent, dmEvent, mentionEvent, nextMessageTs } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// Streaming (chat.startStream / appendStream / stopStream) where the workspace supports it, post-then-update
// where it does not, and the Assistant panel: suggested prompts, status while working, a title, the answer.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'auto' }); });
afterAll(async () => { await h?.close(); });
beforeEach(() => { h.openai.reset(); h.slack.streamingSupported = true; });

const longText = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} of a long streamed answer.`).join(' ');

describe('streaming', () => {
  test('a long answer streams into one message with coalesced appends and a footer', async () => {
    // The answer is long; if routing asks the planner model, it gets a structured choice.
    h.openai.setResponder((req) => (req.body.response_format || req.body.tools ? { json: { agent_id: 'writing', reason: 'drafting' } } : { text: longText }));
    // A request whose specialist is clear, so the one model call is the answer (no router call).
    const event = mentionEvent({ text: 'Draft a long announcement for our launch', user: 'U1', channel: 'C1' });
    await h.send(event);
    const stop = await h.slack.waitFor('chat.stopStream', undefined, 10_000);
    const starts = h.slack.callsTo('chat.startStream').filter((c) => c.args.thread_ts === event.event.ts);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.args).toMatchObject({ channel: 'C1', recipient_user_id: 'U1', recipient_team_id: 'T1' });
    const message = h.slack.messages('C1').find((m) => m.ts === stop.args.ts);
    expect(message?.text?.replace(/\s+/g, ' ')).toContain('Sentence number 59 of a long streamed answer.');
    expect(JSON.stringify(stop.args.blocks ?? [])).toMatch(/context/);
    // Appends are coalesced: far fewer calls than model chunks.
    const appends = h.slack.callsTo('chat.appendStream').filter((c) => c.args.ts === stop.args.ts);
    expect(appends.length).toBeLessThan(10);
  });

  test('a workspace that cannot stream gets post-then-update, and is remembered', async () => {
    h.slack.streamingSupported = false;
    const event = mentionEvent({ text: 'hello without streaming', user: 'U1', channel: 'C1' });
    await h.send(event);
    await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === event.event.ts && /Answer:/.test(m.text ?? '')));
    const startsBefore = h.slack.callsTo('chat.startStream').length;
    const second = mentionEvent({ text: 'second without streaming', user: 'U1', channel: 'C1' });
    await h.send(second);
    await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === second.event.ts && /Answer:/.test(m.text ?? '')));
    expect(h.slack.callsTo('chat.startStream').length).toBe(startsBefore);
  });
});

describe('Assistant panel', () => {
  test('thread start: greeting and suggested prompts; a message: status, then the answer, and a title', async () => {
    h.slack.addChannel({ id: 'D42', name: 'assistant', members: ['U1', h.slack.botUserId], is_im: true });
    const threadTs = nextMessageTs();
    // Slack creates the thread's root message when the user opens the pane.
    h.slack.addMessage('D42', { user: 'U1', text: '', ts: threadTs });
    await h.send(assistantThreadStartedEvent({ user: 'U1', channel: 'D42', thread_ts: threadTs }));
    const prompts = await h.slack.waitFor('assistant.threads.setSuggestedPrompts');
    expect(prompts.args.prompts.length).toBeGreaterThanOrEqual(1);
    expect(prompts.args.prompts.length).toBeLessThanOrEqual(4);

    const event = dmEvent({ text: 'what is a good name for a sailing club?', user: 'U1', channel: 'D42', thread_ts: threadTs });
    h.openai.setLatency(300);
    await h.send(event);
    const status = await h.slack.waitFor('assistant.threads.setStatus', (c) => c.args.thread_ts === threadTs && c.args.status);
    await eventually(() => h.slack.messages('D42').some((m) => m.thread_ts === threadTs && m.bot_id && /Answer:/.test(m.text ?? '')));
    const answerCall = h.slack.calls.find((c) => (c.method === 'chat.startStream' || c.method === 'chat.postMessage') && c.args.thread_ts === threadTs && c.at >= status.at && !/Hi!/.test(c.args.text ?? ''));
    expect(answerCall).toBeDefined();
    expect(status.at).toBeLessThanOrEqual(answerCall!.at);
    const title = await h.slack.waitFor('assistant.threads.setTitle');
    expect(title.args.title).toBe('what is a good name for a sailing club?');
  });
});
