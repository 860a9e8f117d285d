import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { RecordedRequest, Reply } from '../fakes/openai-standin.js';
import { contentText } from '../fakes/openai-wire.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { askAndWait, click } from '../commands/slack-helpers.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// The improvement loop end to end, through signed Slack HTTP and the OpenAI wire: a proposal becomes a candidate
// version, is screened on replayed requests by a judge, serves a share of threads, and is promoted or rejected by
// the sequential test on settled outcomes (here: 👍 / 👎 clicks), then serves everyone or nobody.
let h: Harness;
const schema = (r: RecordedRequest) => r.body.response_format?.json_schema?.name ?? r.body.tool_choice?.function?.name;

/** The simulated world: answers carry their model; the judge prefers what `judgeFavours` says; quality is hidden. */
function world(opts: { judgeFavours: 'candidate' | 'current' | 'neither'; candidateModel: string }): (req: RecordedRequest) => Reply {
  return (req) => {
    if (schema(req) === 'judge') {
      const prompt = contentText(req.body.messages.at(-1)?.content);
      const firstIsCandidate = /First answer:\n"""\[from (.+?)\]/.exec(prompt)?.[1] === opts.candidateModel;
      const better = opts.judgeFavours === 'neither' ? 'tie' : (opts.judgeFavours === 'candidate') === firstIsCandidate ? 'first' : 'second';
      return { json: { better, reason: 'compared' } };
    }
    if (schema(req) === 'route') return { json: { agent_id: 'patents', reason: 'x' } };
    return { text: `[from ${req.model}] Prior art: three patents on folding frames.`, usage: { prompt_tokens: 2000, completion_tokens: 500 } };
  };
}

beforeAll(async () => {
  h = await startHarness({
    SLACK_STREAMING: 'off', EXPERIMENT_TRAFFIC_SHARE: '0.5', EXPERIMENT_MIN_SAMPLES: '6', EXPERIMENT_MARGIN: '0.5', SCREEN_SAMPLES: '4',
    IMPROVER_SCHEDULE: 'off', OUTCOME_WINDOW_SECONDS: '3600',
    // One person asks ~30 questions within a minute here, which the fair-share rate would rightly refuse.
    USER_RATE_PER_MINUTE: '0', CHANNEL_RATE_PER_MINUTE: '0',
    // The arms are hashed from thread ids, so the first experiment's candidate share of the hour varies around 0.5;
    // the global cap (tested on its own in experiment-loop.test.ts) must not decide whether the next one starts.
    EXPERIMENT_MAX_TRAFFIC: '1',
  });
  await h.store.agents.save({ agentId: 'patents', specialty: 'patent search', description: 'prior art searches for patents and inventions', model: 'gpt-4.1',
    systemPrompt: 'You are a patent search specialist: list prior art, claims at risk and what to search next.' });
});
afterAll(async () => { await h?.close(); });
beforeEach(() => h.openai.reset());

/** Asks in a new thread and rates the answer (👍 accepted, 👎 corrected): the outcomes the experiment decides on. */
async function askAndRate(text: string, rating: 'up' | 'down') {
  const { run, answer } = await askAndWait(h, text);
  await click(h, rating === 'up' ? 'feedback_up' : 'feedback_down', run.id, { messageTs: answer.ts });
  await eventually(async () => (await h.store.runs.get(run.id))?.outcome);
  return h.store.runs.get(run.id);
}

async function improverPass() {
  const [outcome] = await h.app.analysts.scheduler.runNow(['improver']);
  expect(outcome).toMatchObject({ claimed: true });
  return (outcome as { result: { summary: string[] } }).result.summary;
}

describe('the improvement loop', () => {
  test('a cheaper model: screened, tried on half the threads, promoted when as good and cheaper; then everyone gets it', async () => {
    h.openai.setResponder(world({ judgeFavours: 'neither', candidateModel: 'gpt-4.1-mini' }));
    for (let i = 0; i < 4; i++) await askAndRate(`Find prior art for folding bicycle frame number ${i}`, 'up'); // history to replay
    const proposal = await h.store.enhancements.propose({ source: 'analytics', targetKind: 'agent', targetId: 'patents', category: 'cheaper_model',
      change: { model: 'gpt-4.1-mini', from: 'gpt-4.1' }, expectedImpact: 'cheaper', reasons: 'test' });
    expect(proposal).not.toBeNull();

    const started = await improverPass();
    expect(started.join('\n')).toMatch(/experiment started: cheaper_model on patents: model gpt-4\.1-mini/);
    // Screening replayed the logged requests on the candidate and asked the judge about each; nobody saw those answers.
    expect(h.openai.requests.filter((r) => schema(r) === 'judge')).toHaveLength(4);
    const [experiment] = await h.store.experiments.list('running');
    expect(experiment).toMatchObject({ targetKind: 'agent', targetId: 'patents', controlVersion: 1, candidateVersion: 2, share: 0.5 });

    const served: Record<string, number> = {};
    for (let i = 0; i < 24; i++) {
      const run = (await askAndRate(`Search prior art for a folding scooter hinge, variant ${i}`, 'up'))!;
      served[run.experimentArm ?? 'none'] = (served[run.experimentArm ?? 'none'] ?? 0) + 1;
      expect(run.models).toEqual([run.experimentArm === 'candidate' ? 'gpt-4.1-mini' : 'gpt-4.1']);
    }
    expect(served.candidate).toBeGreaterThanOrEqual(6);
    expect(served.control).toBeGreaterThanOrEqual(6);

    const decided = await improverPass();
    expect(decided.join('\n')).toMatch(/promoted: `patents` v2: cheaper model: cost \$0\.\d+ → \$0\.\d+; success 100\.0% → 100\.0%/);
    expect(await h.store.agents.currentVersions(['patents'])).toEqual({ patents: 2 });
    const [enhancement] = await h.store.enhancements.list(['applied']);
    expect(enhancement).toMatchObject({ category: 'cheaper_model', status: 'applied', experimentId: experiment!.id });
    expect((enhancement!.measuredImpact as { interval: { target: { upper: number } } }).interval.target.upper).toBeLessThan(0);
    const after = await askAndWait(h, 'Prior art for a folding kayak paddle?');
    expect(after.run.models).toEqual(['gpt-4.1-mini']);
    expect(after.run.experimentArm).toBeNull();
  });

  test('screening drops a candidate the judge finds worse before any user sees it', async () => {
    h.openai.setResponder(world({ judgeFavours: 'current', candidateModel: 'gpt-4.1-nano' }));
    await h.store.enhancements.propose({ source: 'analytics', targetKind: 'agent', targetId: 'patents', category: 'cheaper_model',
      change: { model: 'gpt-4.1-nano', from: 'gpt-4.1-mini' }, reasons: 'test' });
    const summary = await improverPass();
    expect(summary.join('\n')).toMatch(/dropped in screening: cheaper_model on patents: 0 better, 4 worse, 0 even of 4 replayed requests/);
    expect(await h.store.experiments.list('running')).toEqual([]);
    expect(await h.store.agents.get('patents', 3)).toMatchObject({ status: 'archived' });
    expect(h.openai.requests.filter((r) => r.model === 'gpt-4.1-nano' && schema(r) === undefined)).toHaveLength(4); // replays only
  });

  test('a candidate whose answers get 👎 is rejected by the live test and serves nobody afterwards', async () => {
    h.openai.setResponder(world({ judgeFavours: 'neither', candidateModel: 'gpt-4.1-nano' }));
    await h.store.enhancements.propose({ source: 'peer', targetKind: 'agent', targetId: 'patents', category: 'cheaper_model',
      change: { model: 'gpt-4.1-nano', from: 'gpt-4.1-mini' }, reasons: 'again' });
    await improverPass();
    const [experiment] = await h.store.experiments.list('running');
    expect(experiment).toBeDefined();
    for (let i = 0; i < 30; i++) {
      const event = mentionEvent({ text: `Prior art check for hinge design ${i}`, user: 'U1', channel: 'C1' });
      await h.send(event);
      const [run] = await eventually(() => h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id }).then((r) => (r[0]?.status === 'succeeded' ? r : null)));
      const answer = await eventually(() => h.slack.messages('C1').find((m) => m.thread_ts === event.event.ts && m.bot_id && JSON.stringify(m.blocks ?? []).includes('feedback_up')));
      // The hidden truth: the nano answers are wrong for these requests, so people press 👎 on them.
      await click(h, run!.experimentArm === 'candidate' ? 'feedback_down' : 'feedback_up', run!.id, { messageTs: answer.ts });
      await eventually(async () => (await h.store.runs.get(run!.id))?.outcome);
    }
    const summary = await improverPass();
    expect(summary.join('\n')).toMatch(/rejected: `patents` v\d+: .*success.*worse beyond the margin/);
    expect(await h.store.agents.currentVersions(['patents'])).toEqual({ patents: 2 });
    expect((await askAndWait(h, 'One more prior art question about gears')).run.models).toEqual(['gpt-4.1-mini']);
  });
});
