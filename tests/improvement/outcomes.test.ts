import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { correctionOf } from '../../src/improvement/outcomes.js';
import { threadReplyEvent } from '../fakes/slack-events.js';
import { askAndWait, click } from '../commands/slack-helpers.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// An outcome for every answered run without waiting for a rating: through signed Slack events and button clicks.
let h: Harness;
beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', OUTCOME_WINDOW_SECONDS: '600', IMPROVER_SCHEDULE: 'off' }); });
afterAll(async () => { await h?.close(); });

const outcomeOf = async (runId: string) => (await h.store.runs.get(runId))!;

async function followUp(threadTs: string, text: string) {
  const event = threadReplyEvent({ text, user: 'U1', channel: 'C1', thread_ts: threadTs });
  await h.send(event);
  return eventually(async () => (await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id }))[0]?.status === 'succeeded');
}

describe('outcomes', () => {
  test('the words: a rephrase or "that is wrong" corrects, a new question does not', () => {
    expect(correctionOf('Summarize the Q3 sales report for the board', 'Summarize the Q3 sales report for the board meeting, shorter')).toBe('rephrase');
    expect(correctionOf('What is our refund policy?', "That's wrong, it changed in May")).toBe('says_wrong');
    expect(correctionOf('What is our refund policy?', 'No, I meant for enterprise customers')).toBe('says_wrong');
    expect(correctionOf('What is our refund policy?', 'Thanks! And who approves refunds?')).toBeNull();
    expect(correctionOf('What is our refund policy?', 'What is our refund policy?')).toBeNull(); // a repeat by accident is not a rephrase
  });

  test('the same user rephrasing in the thread marks the previous answer corrected; a new question leaves it alone', async () => {
    const first = await askAndWait(h, 'Draft the release notes for version 2.3 of the mobile app');
    await followUp(first.event.event.ts, 'Draft release notes for mobile app version 2.3, in plain language');
    expect(await outcomeOf(first.run.id)).toMatchObject({ outcome: 'corrected', score: 0 });

    const second = await askAndWait(h, 'Who maintains the billing service?');
    await followUp(second.event.event.ts, 'Thanks. When is the next deploy window?');
    expect((await outcomeOf(second.run.id)).outcome).toBeNull();
    // Silence: once the window passes nobody corrected it, so it was accepted.
    await h.store.runs.settleOutcomes(0);
    expect(await outcomeOf(second.run.id)).toMatchObject({ outcome: 'accepted', score: 1 });
  });

  test('"that\'s wrong" in the thread corrects; 👎 corrects and 👍 accepts; repeated clicks by one user count once (the latest)', async () => {
    const a = await askAndWait(h, 'What is the on-call rotation this week?');
    await followUp(a.event.event.ts, "That's wrong, Sam is on call");
    expect((await outcomeOf(a.run.id)).outcome).toBe('corrected');

    const b = await askAndWait(h, 'Explain the difference between p50 and p95 latency');
    for (const action of ['feedback_down', 'feedback_down', 'feedback_up']) {
      await click(h, action, b.run.id, { messageTs: b.answer.ts });
    }
    await eventually(async () => (await outcomeOf(b.run.id)).outcome === 'accepted');
    const run = await outcomeOf(b.run.id);
    expect(run).toMatchObject({ outcome: 'accepted', score: 1 });
    const feedback = await h.store.transport.call('metrics_report', { p_workspace_id: 'T1' }) as { feedback_count: number };
    expect(feedback.feedback_count).toBe(1); // three clicks, one row
    // A failure is a failure whatever is said later.
    await h.store.runs.settleOutcomes(0);
  });
});
