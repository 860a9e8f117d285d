import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { nextMessageTs } from '../fakes/slack-events.js';
import { startHarness, type Harness } from '../support/harness.js';
import { ask, isAgentRequest, script, toolMessages, toolNames } from './helpers.js';

// The built-in Slack reading tools end to end: a mention → the model (OpenAI stand-in) asks for a tool with
// tool_calls → the app calls the Slack Web API stand-in → the result goes back as a role:"tool" message →
// the answer lands in the thread, and every call is a run step.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SLACK_STREAMING: 'off', SLACK_READ_MAX_MESSAGES: '50', SLACK_READ_MAX_DAYS: '7' });
  // An old message (outside the 7-day window), then two recent ones.
  h.slack.addMessage('C1', { user: 'U2', text: 'Old news from last month.', ts: `${Math.floor(Date.now() / 1000) - 30 * 86_400}.000100` });
  h.slack.addMessage('C1', { user: 'U1', text: 'We decided to ship on Friday. <@U2> owns the release notes.', ts: nextMessageTs() });
  h.slack.addMessage('C1', { user: 'U2', text: 'I will draft the notes by Thursday.', ts: nextMessageTs() });
  h.slack.addChannel({ id: 'C2', name: 'leadership', members: ['U2', h.slack.botUserId] });
  h.slack.addMessage('C2', { user: 'U2', text: 'Confidential: reorg next month.' });
  h.slack.addChannel({ id: 'C3', name: 'no-bot', members: ['U1', 'U2'] });
});
afterAll(async () => { await h?.close(); });
beforeEach(() => { h.openai.reset(); });

describe('slack_read_channel', () => {
  test('"summarize this channel": history read within the caps, names resolved, answer in the thread, tool step recorded', async () => {
    script(h, 'summarizer', (n) => (n === 0
      ? { toolCalls: [{ name: 'slack_read_channel', arguments: { limit: 1000, days: 90 } }] }
      : { text: 'TL;DR: we ship on Friday; Grace Hopper drafts the release notes by Thursday.' }));
    const before = Date.now() / 1000;
    const { run, answer, replies } = await ask(h, 'Summarize this channel please');

    expect(run.status).toBe('succeeded');
    expect(answer).toContain('TL;DR: we ship on Friday');
    const history = h.slack.callsTo('conversations.history').filter((c) => c.args.channel === 'C1');
    expect(history).toHaveLength(1);
    expect(Number(history[0]!.args.limit)).toBeLessThanOrEqual(50);
    expect(Number(history[0]!.args.oldest)).toBeGreaterThanOrEqual(before - 7 * 86_400 - 5);

    const agentRequests = h.openai.requests.filter(isAgentRequest);
    expect(agentRequests).toHaveLength(2);
    expect(toolNames(agentRequests[0]!)).toEqual(expect.arrayContaining(['slack_read_channel', 'slack_read_thread']));
    const [toolMessage] = toolMessages(agentRequests[1]!);
    expect(toolMessage.content).toMatch(/^<tool_result name="slack_read_channel" status="ok">/);
    expect(toolMessage.content).toContain('Ada Lovelace: We decided to ship on Friday. @Grace Hopper owns the release notes.');
    expect(toolMessage.content).toContain('Grace Hopper: I will draft the notes by Thursday.');
    expect(toolMessage.content).toMatch(/capped at 50 messages and 7 days/);
    expect(toolMessage.content).not.toContain('Old news');

    const toolSteps = run.steps.filter((s) => s.kind === 'tool');
    expect(toolSteps).toEqual([expect.objectContaining({ name: 'slack_read_channel', status: 'ok', agentId: 'summarizer' })]);
    expect(toolSteps[0]!.detail).toMatchObject({ argBytes: expect.any(Number), resultBytes: expect.any(Number) });
    expect(Number(toolSteps[0]!.detail.resultBytes)).toBeGreaterThan(100);
    // One model step per round, each priced; the run's tokens are their sum.
    const modelSteps = run.steps.filter((s) => s.kind === 'model');
    expect(modelSteps.map((s) => s.detail.round)).toEqual([1, 2]);
    expect(run.tokensIn).toBe(modelSteps.reduce((n, s) => n + s.tokensIn, 0));
    // The footer names the tools used.
    expect(JSON.stringify(replies.at(-1)?.blocks)).toContain('tools: slack_read_channel');
  });

  test('a channel the user is not in is refused with a reason, and its history is never read', async () => {
    script(h, 'summarizer', (n) => (n === 0
      ? { toolCalls: [{ name: 'slack_read_channel', arguments: { channel: '<#C2|leadership>' } }] }
      : { text: 'I cannot read #leadership for you because you are not a member.' }));
    const { run, answer } = await ask(h, 'Summarize the channel <#C2|leadership>', { user: 'U1' });
    expect(answer).toContain('not a member');
    expect(h.slack.callsTo('conversations.history').filter((c) => c.args.channel === 'C2')).toEqual([]);
    expect(h.slack.callsTo('conversations.replies').filter((c) => c.args.channel === 'C2')).toEqual([]);
    const [toolMessage] = toolMessages(h.openai.requests.filter(isAgentRequest)[1]!);
    expect(toolMessage.content).toContain('Error (TOOL_REFUSED): The requesting user is not a member of <#C2>');
    expect(run.steps.find((s) => s.kind === 'tool')).toMatchObject({ status: 'refused', errorClass: 'TOOL_REFUSED' });
  });

  test('a channel the bot is not in is refused too', async () => {
    script(h, 'summarizer', (n) => (n === 0
      ? { toolCalls: [{ name: 'slack_read_channel', arguments: { channel: 'C3' } }] }
      : { text: 'I am not in that channel.' }));
    const { run } = await ask(h, 'Summarize the channel C3 discussion');
    expect(h.slack.callsTo('conversations.history').filter((c) => c.args.channel === 'C3')).toEqual([]);
    const [toolMessage] = toolMessages(h.openai.requests.filter(isAgentRequest)[1]!);
    expect(toolMessage.content).toContain('I am not a member of <#C3>');
    expect(run.steps.find((s) => s.kind === 'tool')).toMatchObject({ status: 'refused' });
  });
});

describe('slack_read_thread and user names', () => {
  test('the current thread is read by default; user names come from a cache', async () => {
    const infoBefore = h.slack.callsTo('users.info').filter((c) => c.args.user === 'U1').length;
    script(h, 'summarizer', (n) => (n === 0 ? { toolCalls: [{ name: 'slack_read_thread', arguments: {} }] } : { text: 'Thread recap.' }));
    const { event } = await ask(h, 'Summarize this thread');
    const replies = h.slack.callsTo('conversations.replies').filter((c) => c.args.ts === event.event.ts && c.args.limit);
    expect(replies.length).toBeGreaterThanOrEqual(1);
    const [toolMessage] = toolMessages(h.openai.requests.filter(isAgentRequest)[1]!);
    expect(toolMessage.content).toMatch(/Ada Lovelace: <@UBOT> Summarize this thread|Ada Lovelace: @Assistant Summarize this thread/);
    // U1 was looked up in an earlier test (or this one) at most once: names are cached.
    expect(h.slack.callsTo('users.info').filter((c) => c.args.user === 'U1').length - infoBefore).toBeLessThanOrEqual(1);
    expect(h.slack.callsTo('users.info').filter((c) => c.args.user === 'U1').length).toBeLessThanOrEqual(1);
  });

  test('user_lookup and current_time (the general assistant\'s tools) answer from the user\'s profile', async () => {
    script(h, 'general', (n) => (n === 0
      ? { toolCalls: [{ name: 'user_lookup', arguments: { user: 'grace' } }, { name: 'current_time', arguments: {} }] }
      : { text: 'Grace Hopper is in New York.' }));
    const { run } = await ask(h, 'Who is grace and what time is it for me?');
    const results = toolMessages(h.openai.requests.filter(isAgentRequest)[1]!).map((m) => m.content).join('\n');
    expect(results).toMatch(/Grace Hopper \(@grace\) — id U2; no title set; time zone: America\/New_York/);
    expect(results).toMatch(/in Europe\/London \(GMT.*time zone from the user's Slack profile/);
    expect(run.steps.filter((s) => s.kind === 'tool').map((s) => s.name).sort()).toEqual(['current_time', 'user_lookup']);
  });
});
