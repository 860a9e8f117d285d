import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  dmEvent, eventCallback, mentionEvent, newEventId, nextMessageTs, postEvent, threadReplyEvent, urlVerification,
} from '../fakes/slack-events.js';
import { eventually, SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';

// The conversation path end to end: signed HTTP events in, Slack Web API calls and OpenAI wire requests out,
// all on 127.0.0.1, with the run log in a real (PGlite) database.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off' }); });
afterAll(async () => { await h?.close(); });
beforeEach(() => { h.openai.reset(); });

const answersIn = (channel: string, threadTs: string) =>
  h.slack.messages(channel).filter((m) => m.thread_ts === threadTs && m.bot_id && !/^_.*…_$/.test(m.text ?? ''));

describe('requests Slack sends', () => {
  test('url_verification is answered with the challenge', async () => {
    const challenge = urlVerification('abc123');
    const response = await h.send(challenge);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('abc123');
  });

  test('a forged signature, a stale timestamp and a future timestamp get 401 and no model call', async () => {
    const event = mentionEvent({ text: 'hello?', user: 'U1' });
    const forged = await h.send(event, { forgedSignature: true });
    const stale = await h.send(event, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const future = await h.send(event, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 });
    const wrongSecret = await postEvent(`${h.url}/slack/events`, 'not-the-secret', event);
    expect([forged.status, stale.status, future.status, wrongSecret.status]).toEqual([401, 401, 401, 401]);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.openai.requests).toHaveLength(0);
    expect(await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id })).toEqual([]);
  });
});

describe('answers', () => {
  test('a mention is answered in its thread with exactly one model call, and the run is logged', async () => {
    h.openai.enqueue({ text: 'Paris is the capital of **France**.', usage: { prompt_tokens: 120, completion_tokens: 9 } });
    const event = mentionEvent({ text: 'What is the capital of France?', user: 'U1', channel: 'C1' });
    const ack = await h.send(event);
    expect(ack.status).toBe(200);
    const [answer] = await eventually(() => { const a = answersIn('C1', event.event.ts); return a.length ? a : null; });
    // Markdown became mrkdwn (a zero-width space keeps the bold next to punctuation rendering as bold).
    expect(answer.text.replace(/\u200B/g, '')).toContain('Paris is the capital of *France*.');
    expect(h.openai.requests).toHaveLength(1);
    expect(h.openai.requests[0]!.lastUserMessage).toBe('What is the capital of France?');
    const run = await eventually(async () => {
      const [r] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
      return r?.status === 'succeeded' ? r : null;
    });
    expect(run).toMatchObject({ userId: 'U1', channelId: 'C1', tokensIn: 120, tokensOut: 9, costUnknownSteps: 0, delivered: true });
    expect(run.route).toMatch(/direct|fallback/);
    expect(run.routeReason).toBeTruthy();
    expect(run.agentIds).toHaveLength(1);
    expect(run.costUsd).toBeGreaterThan(0);
    const full = await h.store.runs.get(run.id);
    expect(full?.steps).toEqual([expect.objectContaining({ kind: 'model', status: 'ok', model: 'gpt-4.1-mini', tokensIn: 120, tokensOut: 9 })]);
  });

  test('a quick answer replaces its "Thinking…" placeholder in one update; a slow one shows the text so far first', async () => {
    const slackCallsFor = (threadTs: string) => {
      const placeholder = h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts === threadTs)?.response?.ts;
      return { placeholder, updates: h.slack.callsTo('chat.update').filter((c) => c.args.ts === placeholder) };
    };
    h.openai.enqueue({ text: 'Quick: the answer is forty-two.', chunkDelayMs: 20 }); // streamed, but done well within a second
    const quick = mentionEvent({ text: 'What is the answer, quickly?', user: 'U1', channel: 'C1' });
    await h.send(quick);
    await eventually(() => answersIn('C1', quick.event.ts).some((m) => /forty-two/.test(m.text ?? '') && m.blocks));
    const fast = slackCallsFor(quick.event.ts);
    expect(fast.placeholder).toBeDefined();
    expect(fast.updates).toHaveLength(1); // the final answer, with its footer and buttons: no preview of its first words
    expect(fast.updates[0]!.args.blocks).toBeDefined();

    // Streamed over ~2.4 s: the placeholder shows the text so far (after the 1 s interval), then the final answer.
    h.openai.enqueue({ text: 'Slow: one two three four five six seven eight.', chunkDelayMs: 200 });
    const slow = mentionEvent({ text: 'What is the answer, slowly?', user: 'U1', channel: 'C1' });
    await h.send(slow);
    await eventually(() => answersIn('C1', slow.event.ts).some((m) => /eight/.test(m.text ?? '') && m.blocks));
    const { updates } = slackCallsFor(slow.event.ts);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates[0]!.args.blocks).toBeUndefined();
    expect(updates[0]!.args.text).toMatch(/^Slow/);
    expect(updates.at(-1)!.args.blocks).toBeDefined();
  });

  test('with a slow Slack, the answer still replaces its "Thinking…" placeholder: one message in the thread', async () => {
    h.slack.override('chat.postMessage', async (args) => {
      if (/^_Thinking…_$/.test(String(args.text))) await new Promise((resolve) => setTimeout(resolve, 400));
      return undefined;
    });
    try {
      h.openai.enqueue({ text: 'Lisbon is the capital of Portugal.' });
      const event = mentionEvent({ text: 'What is the capital of Portugal?', user: 'U1', channel: 'C1' });
      await h.send(event);
      await eventually(() => answersIn('C1', event.event.ts).some((m) => /Lisbon/.test(m.text ?? '') && m.blocks));
      const posts = h.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === event.event.ts);
      expect(posts).toHaveLength(1);
      expect(h.slack.callsTo('chat.update').filter((c) => c.args.ts === posts[0]!.response.ts).at(-1)!.args.text).toMatch(/Lisbon/);
      expect(answersIn('C1', event.event.ts)).toHaveLength(1);
    } finally {
      h.slack.clearOverride('chat.postMessage');
    }
  });

  test('a DM is answered in the DM', async () => {
    h.slack.addChannel({ id: 'D77', name: 'dm', members: ['U2', h.slack.botUserId], is_im: true });
    const event = dmEvent({ text: 'hi there, can you help me write a haiku?', user: 'U2', channel: 'D77' });
    await h.send(event);
    const answers = await eventually(() => { const a = answersIn('D77', event.event.ts); return a.length ? a : null; });
    expect(answers[0]!.text).toMatch(/Answer:/);
  });

  test('"help" in a DM (or to a mention) is answered from the code with no model call, and recorded as a run', async () => {
    h.slack.addChannel({ id: 'D78', name: 'dm', members: ['U2', h.slack.botUserId], is_im: true });
    for (const [event, channel] of [[dmEvent({ text: 'help', user: 'U2', channel: 'D78' }), 'D78'], [mentionEvent({ text: 'What can you do?', user: 'U1', channel: 'C1' }), 'C1']] as const) {
      await h.send(event);
      const answers = await eventually(() => { const a = answersIn(channel, event.event.ts); return a.length ? a : null; });
      expect(answers[0]!.text).toMatch(/\*Improver\* answers your questions/);
      expect(answers[0]!.text).toMatch(/`\/metrics improvements` shows every change I tried on myself/);
      const [run] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
      expect(run).toMatchObject({ status: 'succeeded', route: 'help' });
    }
    expect(h.openai.requests).toHaveLength(0);
  });

  test('a retried event and a double delivery give one answer, one run, one model call', async () => {
    h.openai.setLatency(400);
    const ts = nextMessageTs();
    const mention = mentionEvent({ text: 'summarize the plan', user: 'U1', channel: 'C1', ts });
    const asMessage = eventCallback({ ...mention.event, type: 'message', channel_type: 'channel' }, { eventId: newEventId() });
    const responses = await Promise.all([
      h.send(mention),
      h.send(mention, { retryNum: 1, retryReason: 'http_timeout' }),
      h.send(asMessage),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    await eventually(() => answersIn('C1', ts).length > 0);
    // A retry arriving after the answer is still a duplicate.
    await h.send(mention, { retryNum: 2, retryReason: 'http_timeout' });
    await new Promise((r) => setTimeout(r, 600));
    expect(answersIn('C1', ts)).toHaveLength(1);
    expect(h.openai.requests).toHaveLength(1);
    const runs = await h.store.runs.find({ workspaceId: 'T1', channelId: 'C1', messageTs: ts });
    expect(runs).toHaveLength(1);
  });

  test('a follow-up in a thread the bot is part of is answered without a mention; other threads are ignored', async () => {
    const first = mentionEvent({ text: 'start a thread about budgets', user: 'U1', channel: 'C1' });
    await h.send(first);
    await eventually(() => answersIn('C1', first.event.ts).length > 0);
    h.slack.addMessage('C1', { user: 'U1', text: 'start a thread about budgets', ts: first.event.ts });
    const followUp = threadReplyEvent({ text: 'and what about Q3?', user: 'U2', channel: 'C1', thread_ts: first.event.ts });
    await h.send(followUp);
    await eventually(() => answersIn('C1', first.event.ts).length >= 2);
    expect(h.openai.requests.at(-1)!.lastUserMessage).toBe('and what about Q3?');
    // The thread's earlier messages reached the model as history.
    const sent = JSON.stringify(h.openai.requests.at(-1)!.body.messages);
    expect(sent).toContain('start a thread about budgets');

    const stranger = threadReplyEvent({ text: 'unrelated chatter', user: 'U2', channel: 'C1', thread_ts: nextMessageTs() });
    const edited = eventCallback({ type: 'message', subtype: 'message_changed', channel: 'C1', ts: nextMessageTs(), message: { text: 'x' } });
    const botPost = eventCallback({ type: 'message', bot_id: 'B999', text: 'another bot', channel: 'D77', channel_type: 'im', ts: nextMessageTs() });
    const requestsBefore = h.openai.requests.length;
    await Promise.all([h.send(stranger), h.send(edited), h.send(botPost)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.openai.requests.length).toBe(requestsBefore);
  });

  test('the model cannot make the bot broadcast or post unknown links', async () => {
    h.openai.enqueue({ text: 'Sure! <!channel> look at [this](https://evil.example/steal?d=1) and ping <@U999>.' });
    const event = mentionEvent({ text: 'tell everyone', user: 'U1', channel: 'C1' });
    await h.send(event);
    const [answer] = await eventually(() => { const a = answersIn('C1', event.event.ts); return a.length ? a : null; });
    const posted = JSON.stringify(answer);
    expect(posted).not.toContain('<!channel>');
    expect(posted).not.toContain('<@U999>');
    expect(posted).not.toMatch(/<https:\/\/evil\.example/);
    const call = h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts === event.event.ts);
    expect(String(call?.args.unfurl_links)).toBe('false');
  });
});

describe('size limits', () => {
  test('a 40,000-character message is cut with a notice; a long answer is split under Slack limits', async () => {
    const long = Array.from({ length: 400 }, (_, i) => `Paragraph ${i}: ${'lorem ipsum dolor sit amet '.repeat(3)}`).join('\n\n');
    // A router call uses structured output; the specialist's own request may carry `tools` (its built-in tools).
    h.openai.setResponder((req) => (req.body.response_format || req.body.tool_choice ? { json: { agent_id: 'general', reason: 'x' } } : { text: long }));
    const event = mentionEvent({ text: `please read this: ${'x'.repeat(40_000)}`, user: 'U1', channel: 'C1' });
    await h.send(event);
    const parts = await eventually(() => {
      const a = answersIn('C1', event.event.ts);
      return a.some((m) => /Paragraph 399/.test(m.text ?? '')) ? a : null;
    });
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) expect((part.text ?? '').length).toBeLessThanOrEqual(3000);
    expect(parts.map((p) => p.text).join('\n')).toMatch(/read only its first 12,000 characters/);
    const asked = h.openai.requests.find((r) => !r.body.response_format && !r.body.tool_choice)!;
    expect(asked.lastUserMessage.length).toBeLessThanOrEqual(12_000);
  });
});

describe('model failures', () => {
  test('two 500s, then an answer', async () => {
    h.openai.enqueue({ error: { status: 500 } }, { error: { status: 500 } }, { text: 'third time lucky' });
    const event = mentionEvent({ text: 'are you there', user: 'U1', channel: 'C1' });
    await h.send(event);
    const answers = await eventually(() => { const a = answersIn('C1', event.event.ts); return a.some((m) => /third time lucky/.test(m.text)) ? a : null; });
    expect(answers).toHaveLength(1);
    expect(h.openai.requests).toHaveLength(3);
    const [run] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
    await eventually(async () => (await h.store.runs.get(run!.id))?.status === 'succeeded');
  });

  test('insufficient quota: one request, an honest message, the run failed with its class; the next request is answered', async () => {
    h.openai.enqueue({ error: { status: 429, code: 'insufficient_quota', type: 'insufficient_quota' } });
    const event = mentionEvent({ text: 'what is 2+2', user: 'U1', channel: 'C1' });
    await h.send(event);
    const [notice] = await eventually(() => { const a = answersIn('C1', event.event.ts); return a.length ? a : null; });
    expect(notice.text).toMatch(/credit|billing|quota/i);
    expect(h.openai.requests).toHaveLength(1);
    const run = await eventually(async () => {
      const [r] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
      return r?.status === 'failed' ? r : null;
    });
    expect(run.errorClass).toBe('MODEL_QUOTA_EXCEEDED');
    const next = mentionEvent({ text: 'and now?', user: 'U1', channel: 'C1' });
    await h.send(next);
    await eventually(() => answersIn('C1', next.event.ts).some((m) => /Answer:/.test(m.text)));
  });
});

describe('health', () => {
  test('GET /health is 200 when the store answers', async () => {
    const response = await fetch(`${h.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', checks: { store: true } });
  });
});

void SIGNING_SECRET;
