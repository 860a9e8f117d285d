import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventCallback, newTriggerId, nextMessageTs, postInteraction } from '../fakes/slack-events.js';
import { slash } from '../commands/slack-helpers.js';
import { seedServedRun } from '../support/seed-runs.js';
import { SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';

// What a team lead sees of the loop, through Slack: /metrics improvements (before → after, how sure, the decision
// and why), the App Home's running experiments with Stop / Roll back, refused for non-admins, done for admins.
let h: Harness;

async function improverPass() {
  const [outcome] = await h.app.analysts.scheduler.runNow(['improver']);
  expect(outcome).toMatchObject({ claimed: true });
}

async function homeFor(user: string) {
  const before = h.slack.callsTo('views.publish').length;
  await h.send(eventCallback({ type: 'app_home_opened', user, channel: 'D1', tab: 'home', event_ts: nextMessageTs() }));
  return h.slack.waitFor('views.publish', (c) => h.slack.callsTo('views.publish').indexOf(c) >= before && c.args.user_id === user);
}

function press(user: string, experimentId: string) {
  return postInteraction(`${h.url}/slack/events`, SIGNING_SECRET, {
    type: 'block_actions', user: { id: user, team_id: 'T1' }, team: { id: 'T1' }, api_app_id: 'A1', token: 't', trigger_id: newTriggerId(),
    container: { type: 'view', view_id: 'V1' }, view: { id: 'V1', type: 'home' },
    actions: [{ type: 'button', action_id: 'improver_stop', block_id: 'b', value: experimentId, action_ts: String(Date.now() / 1000) }],
  });
}

beforeAll(async () => {
  h = await startHarness({ SLACK_STREAMING: 'off', IMPROVER_SCHEDULE: 'off', EXPERIMENT_MIN_SAMPLES: '20', EXPERIMENT_MARGIN: '0.2', SCREEN_SAMPLES: '0', EXPERIMENT_MAX_TRAFFIC: '1' });
  h.slack.addUser({ id: 'UADMIN', name: 'ada', real_name: 'Ada Admin', is_admin: true });
  for (const id of ['billing', 'legal']) {
    await h.store.agents.save({ agentId: id, specialty: id, description: `${id} questions`, model: 'gpt-4.1', systemPrompt: `You answer ${id} questions precisely.` });
    await h.store.enhancements.propose({ source: 'analytics', targetKind: 'agent', targetId: id, category: 'cheaper_model', change: { model: 'gpt-4.1-mini', from: 'gpt-4.1' }, reasons: 'equal outcomes' });
  }
  await improverPass(); // starts both experiments
  const billing = (await h.store.experiments.running('agent', 'billing'))!;
  for (let i = 0; i < 60; i++) {
    await seedServedRun(h.store, { agentId: 'billing', version: 1, experiment: { id: billing.id, arm: 'control' }, costUsd: 0.02, outcome: i % 10 < 9 ? 'accepted' : 'corrected' });
    await seedServedRun(h.store, { agentId: 'billing', version: 2, experiment: { id: billing.id, arm: 'candidate' }, costUsd: 0.004, outcome: i % 10 < 9 ? 'accepted' : 'corrected' });
  }
  await improverPass(); // promotes billing v2; legal has no runs yet
});
afterAll(async () => { await h?.close(); });

describe('reporting the loop', () => {
  test('/metrics improvements: the decided change with before → after, how sure and why; the running one with what it still needs', async () => {
    const command = await slash(h, '/metrics', 'improvements');
    const text = (await command.reply()).body.text as string;
    expect(text).toMatch(/\*Being tried now \(1\)\*\n• \*cheaper model\* on `legal` v2 \(model gpt-4\.1-mini instead of gpt-4\.1\) — on 20\.0% of new conversations since \d{4}-\d\d-\d\d: no settled runs yet; no decision before 20 on each side\./);
    expect(text).toMatch(/\*Decided \(1\)\*\n• \*cheaper model\* on `billing` v2 .* — \*promoted\* \d{4}-\d\d-\d\d\. cheaper model: cost \$0\.0200 → \$0\.0040; success 90\.0% → 90\.0% \(60 runs with it, 60 without\)\./);
    expect(text).toMatch(/Kept: it was clearly better on cost per answer and not worse on success beyond the margin \(the allowed margin is 20 points\)\. cost per answer changed by −\$0\.0160, 95 % sure between −\$0\.01\d\d and −\$0\.01\d\d; success changed by \+0\.0 pts, 95 % sure between −\d+\.\d pts and \+\d+\.\d pts\./);
    expect(text).not.toMatch(/`[0-9a-f]{8}`/); // ids are for /improver, not for everyone
  });

  test('/metrics shows the applied change in its report, in the same words', async () => {
    const text = (await (await slash(h, '/metrics', '7d')).reply()).body.text as string;
    expect(text).toMatch(/Improvements applied: 1\n• cheaper model on agent `billing`: cheaper model: cost \$0\.0200 → \$0\.0040; success 90\.0% → 90\.0%/);
  });

  test('App Home: running and recently applied experiments with Stop / Roll back; a non-admin is refused, an admin stops one', async () => {
    const home = JSON.stringify((await homeFor('U1')).args.view);
    expect(home).toMatch(/Improvements being tried \(1\)/);
    expect(home).toMatch(/\*cheaper model\* on `legal` v2 — on 20\.0% of new conversations/);
    expect(home).toMatch(/\*cheaper model\* on `billing` v2 — applied \d{4}-\d\d-\d\d, watched for a drop/);
    expect(home).toMatch(/"action_id":"improver_stop".*"text":"Stop".*"action_id":"improver_stop".*"text":"Roll back"|"text":"Stop".*"action_id":"improver_stop"/);

    const legal = (await h.store.experiments.running('agent', 'legal'))!;
    const before = h.slack.callsTo('views.publish').length;
    expect((await press('U1', legal.id)).status).toBe(200);
    const refused = await h.slack.waitFor('views.publish', (c) => h.slack.callsTo('views.publish').indexOf(c) >= before);
    expect(JSON.stringify(refused.args.view)).toMatch(/Only workspace owners and admins/);
    expect(await h.store.experiments.running('agent', 'legal')).not.toBeNull();

    const next = h.slack.callsTo('views.publish').length;
    await press('UADMIN', legal.id);
    const done = await h.slack.waitFor('views.publish', (c) => h.slack.callsTo('views.publish').indexOf(c) >= next && c.args.user_id === 'UADMIN');
    expect(JSON.stringify(done.args.view)).toMatch(/Stopped the experiment on `legal` v2; the current version keeps serving/);
    expect(await h.store.experiments.running('agent', 'legal')).toBeNull();
    expect(await h.store.agents.currentVersions(['legal'])).toEqual({ legal: 1 });

    // Roll back the promoted one from the Home tab: the version it replaced serves again.
    const billing = (await h.store.experiments.list('promoted')).find((e) => e.targetId === 'billing')!;
    const last = h.slack.callsTo('views.publish').length;
    await press('UADMIN', billing.id);
    const rolled = await h.slack.waitFor('views.publish', (c) => h.slack.callsTo('views.publish').indexOf(c) >= last && c.args.user_id === 'UADMIN');
    expect(JSON.stringify(rolled.args.view)).toMatch(/Rolled back `billing` v2 to the version it replaced/);
    expect(await h.store.agents.currentVersions(['billing'])).toEqual({ billing: 1 });
  });
});
