import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { RecordedRequest } from '../fakes/openai-standin.js';
import { threadReplyEvent } from '../fakes/slack-events.js';
import { askAndWait, click } from '../commands/slack-helpers.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// The response cache through signed Slack HTTP: once a cache policy for a specialist has won its experiment, a
// question asked again in a new conversation is answered from an earlier accepted answer with no model call; never
// inside a thread with history; never again once the answer is marked wrong; never across a new agent version.
let h: Harness;
const answerCalls = (requests: RecordedRequest[]) => requests.filter((r) => !r.body.response_format && !r.body.tool_choice).length;

beforeAll(async () => {
  h = await startHarness({ SLACK_STREAMING: 'off', IMPROVER_SCHEDULE: 'off', OUTCOME_WINDOW_SECONDS: '3600', CACHE_TTL_SECONDS: '3600' });
  await h.store.agents.save({ agentId: 'faq', specialty: 'company FAQ', description: 'questions about company policies: refunds, holidays, expenses', model: 'gpt-4.1',
    systemPrompt: 'You answer questions about company policy from the handbook, briefly.' });
  // The cache policy for faq won its experiment (how it gets there is tests/improvement/decisions.test.ts).
  const started = await h.store.experiments.create({ targetKind: 'cache', targetId: 'faq', controlVersion: 1, share: 0.2 });
  expect(started.ok).toBe(true);
  if (started.ok) await h.store.experiments.finish(started.experiment.id, 'promoted', { reasons: ['test'] });
});
afterAll(async () => { await h?.close(); });
beforeEach(() => h.openai.reset());

async function acceptedAnswer(text: string) {
  const asked = await askAndWait(h, text);
  await click(h, 'feedback_up', asked.run.id, { messageTs: asked.answer.ts });
  await eventually(async () => ((await h.store.runs.get(asked.run.id))?.outcome === 'accepted' ? true : null));
  return asked;
}

async function improverPass() {
  const [outcome] = await h.app.analysts.scheduler.runNow(['improver']);
  expect(outcome).toMatchObject({ claimed: true });
}

describe('the response cache', () => {
  test('hit: the same question (worded a little differently) in a new conversation is answered from the accepted answer, no model call', async () => {
    const first = await acceptedAnswer('What is our refund policy?');
    await improverPass(); // fills the cache from accepted answers
    h.openai.reset();
    const again = await askAndWait(h, "what's the refund policy");
    expect(again.run).toMatchObject({ route: 'cache', status: 'succeeded' });
    expect(answerCalls(h.openai.requests)).toBe(0);
    expect(again.answer.text).toContain(first.answer.text.split('\n')[0]); // the stand-in's answer, delivered as it was
    expect(again.answer.text).toContain('the answer I gave to the same question earlier');
    expect((await h.store.runs.get(again.run.id)) as unknown).toMatchObject({ cacheEntryId: expect.any(String) });
    expect(first.run.route).not.toBe('cache');
  });

  test('miss where reuse is unsafe: the same question inside a thread with history goes to the model', async () => {
    const opener = await askAndWait(h, 'I bought the yearly plan in March and want to cancel');
    h.openai.reset();
    const event = threadReplyEvent({ text: 'What is our refund policy?', user: 'U1', channel: 'C1', thread_ts: opener.event.event.ts });
    await h.send(event);
    const run = await eventually(async () => {
      const [r] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
      return r && r.status !== 'running' ? r : null;
    });
    expect(run.route).not.toBe('cache');
    expect(answerCalls(h.openai.requests)).toBe(1);
  });

  test('invalidation: 👎 on a cached answer retires it; the next asker gets a fresh answer', async () => {
    const cached = await askAndWait(h, 'Refund policy?');
    expect(cached.run.route).toBe('cache');
    await click(h, 'feedback_down', cached.run.id, { messageTs: cached.answer.ts });
    await eventually(async () => ((await h.store.runs.get(cached.run.id))?.outcome === 'corrected' ? true : null));
    h.openai.reset();
    const fresh = await askAndWait(h, 'What is the refund policy?');
    expect(fresh.run.route).not.toBe('cache');
    expect(answerCalls(h.openai.requests)).toBe(1);
  });

  test('a new version of the specialist does not serve the old version’s answers', async () => {
    await acceptedAnswer('How many holiday days do we get?');
    await improverPass();
    expect((await askAndWait(h, 'how many holiday days do we get')).run.route).toBe('cache');
    const current = (await h.store.agents.get('faq'))!;
    await h.store.agents.save({ agentId: 'faq', specialty: current.specialty, description: current.description, model: current.model,
      systemPrompt: `${current.systemPrompt} Cite the handbook section.` });
    h.openai.reset();
    const after = await askAndWait(h, 'How many holiday days do we get?');
    expect(after.run.route).not.toBe('cache');
    expect(after.run.agentVersions).toEqual([{ agentId: 'faq', version: 2 }]);
    expect(answerCalls(h.openai.requests)).toBe(1);
  });
});
