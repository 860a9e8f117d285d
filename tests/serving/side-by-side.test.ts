import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RecordedRequest } from '../fakes/openai-standin.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// Two versions of one specialist serve at once: an experiment puts some threads on the candidate version. The
// request crosses signed Slack HTTP and the OpenAI wire; the run log records which version served each.
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SLACK_STREAMING: 'off' });
  h.openai.setLatency(300);
});
afterAll(async () => { await h?.close(); });

const MARK = { 1: 'CURRENT-WORDING', 2: 'CANDIDATE-WORDING' } as const;
const versionOf = (r: RecordedRequest) => (JSON.stringify(r.body.messages[0]).includes(MARK[2]) ? 2 : JSON.stringify(r.body.messages[0]).includes(MARK[1]) ? 1 : 0);

test('a request served by version 2 while version 1 serves another thread; both recorded with their versions; the pool builds each once', async () => {
  const prompt = (mark: string) => `You are a patent search specialist. ${mark}. Answer with the prior art you know, the claims at risk and what to search next.`;
  const draft = { agentId: 'patents', specialty: 'patent search', description: 'prior art searches for patents and inventions' };
  await h.store.agents.save({ ...draft, systemPrompt: prompt(MARK[1]) });
  const candidate = await h.store.agents.save({ ...draft, systemPrompt: prompt(MARK[2]), origin: 'experiment' }, 'candidate');
  expect(candidate).toMatchObject({ version: 2, status: 'candidate' });
  const created = await h.store.experiments.create({ targetKind: 'agent', targetId: 'patents', controlVersion: 1, candidateVersion: 2, share: 0.5 });
  expect(created.ok).toBe(true);
  const experimentId = created.experiment.id;

  // Find one thread for each arm (assignment is a hash of the thread; asking first makes it sticky).
  const arms: Record<'control' | 'candidate', string | undefined> = { control: undefined, candidate: undefined };
  for (let i = 0; !(arms.control && arms.candidate); i++) {
    const ts = `1800000000.${String(i).padStart(6, '0')}`;
    const arm = (await h.store.experiments.assign(experimentId, `T1:C1:${ts}`))!;
    arms[arm] ??= ts;
  }
  const builtBefore = h.app.pool.stats().builds;
  const events = [arms.control!, arms.candidate!].map((ts) => mentionEvent({ text: 'Find prior art for a patent on folding bicycles', user: 'U1', channel: 'C1', ts }));
  await Promise.all(events.map((e) => h.send(e)));
  await eventually(() => h.openai.requests.filter((r) => versionOf(r) > 0).length === 2 && h.app.orchestrator.activeRuns === 0);

  const [v1Request, v2Request] = [1, 2].map((v) => h.openai.requests.find((r) => versionOf(r) === v)!) as [RecordedRequest, RecordedRequest];
  // Served at the same time: each started before the other ended (measured at the stand-in).
  expect(v1Request.startedAt).toBeLessThan(v2Request.endedAt!);
  expect(v2Request.startedAt).toBeLessThan(v1Request.endedAt!);

  for (const [arm, ts, version] of [['control', arms.control!, 1], ['candidate', arms.candidate!, 2]] as const) {
    const [run] = await h.store.runs.find({ workspaceId: 'T1', channelId: 'C1', messageTs: ts });
    const full = await eventually(async () => { const r = await h.store.runs.get(run!.id); return r?.status === 'succeeded' ? r : null; });
    expect(full).toMatchObject({ experimentId, experimentArm: arm, agentVersions: [{ agentId: 'patents', version }], models: ['gpt-4.1-mini'] });
    expect(full.serving).toMatchObject({ kind: 'direct', agent: { agentId: 'patents', version }, experiment: { id: experimentId, arm } });
    expect(full.steps.filter((s) => s.kind === 'model').map((s) => s.agentVersion)).toEqual([version]);
  }

  // The same threads again, alternating: sticky arms, and no rebuild per request.
  for (let round = 0; round < 3; round++) {
    for (const ts of [arms.control!, arms.candidate!]) {
      await h.send(mentionEvent({ text: 'And for folding scooters?', user: 'U1', channel: 'C1', thread_ts: ts, ts: `${ts.split('.')[0]}.9${round}${ts === arms.control ? 1 : 2}000` }));
    }
  }
  await eventually(() => h.openai.requests.filter((r) => versionOf(r) > 0).length === 8 && h.app.orchestrator.activeRuns === 0);
  const followUps = h.openai.requests.filter((r) => versionOf(r) > 0).slice(2);
  expect(followUps.map(versionOf).sort()).toEqual([1, 1, 1, 2, 2, 2]);
  expect(h.app.pool.stats().builds - builtBefore).toBe(2);
});
