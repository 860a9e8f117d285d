import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { mentionEvent } from '../fakes/slack-events.js';
import { slash } from '../commands/slack-helpers.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { createTestDatabase, postgresAvailable, postgresStore } from '../support/stores.js';

// Budgets from chat, through signed slash commands; enforced on the next request before any model call; alerts
// posted to ADMIN_CHANNEL once per threshold per period, also with two instances on one database.
const ADMIN_CHANNEL = 'CADMIN1';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ SLACK_STREAMING: 'off', ADMIN_CHANNEL, ADMIN_USERS: 'U2', BUDGET_DOWNGRADE_MODEL: 'gpt-4.1-nano' });
  h.slack.addUser({ id: 'U3', name: 'olga', real_name: 'Olga Owner', is_owner: true });
  h.slack.addChannel({ id: ADMIN_CHANNEL, name: 'improver-admin', members: ['U2', h.slack.botUserId] });
});
afterAll(async () => { await h?.close(); });
beforeEach(async () => {
  for (const b of await h.store.budgets.list()) await h.store.budgets.remove(b.scope, b.scopeId, b.period);
  h.openai.reset();
  h.openai.setResponder(() => ({ text: 'An answer.', usage: { prompt_tokens: 100_000, completion_tokens: 10_000 } })); // $0.056 each on gpt-4.1-mini
});

async function ask(text: string, user = 'U1') {
  const event = mentionEvent({ text, user, channel: 'C1' });
  const before = h.openai.requests.length;
  await h.send(event);
  const [run] = await eventually(() => h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id }).then((r) => (r.length ? r : null)));
  const full = await eventually(async () => { const r = await h.store.runs.get(run!.id); return r && r.status !== 'running' ? r : null; });
  const reply = await eventually(() => h.slack.messages('C1').filter((m) => m.thread_ts === event.event.ts && m.bot_id).at(-1));
  return { run: full, reply: reply.text ?? '', modelRequests: h.openai.requests.slice(before) };
}
const adminPosts = () => h.slack.messages(ADMIN_CHANNEL).map((m) => m.text ?? '');

describe('/improver budget', () => {
  test('admins only: a member is refused, ADMIN_USERS and workspace owners may set budgets; bad arguments get the usage', async () => {
    expect((await (await slash(h, '/improver', 'budget set user <@U1|ada> 0.10/day refuse', { user: 'U1' })).reply()).body.text)
      .toMatch(/Only workspace owners and admins/);
    expect((await (await slash(h, '/improver', 'budget set user 0.10/day', { user: 'U2' })).reply()).body.text).toMatch(/Name the user/);
    expect((await (await slash(h, '/improver', 'budget set workspace ten/day', { user: 'U3' })).reply()).body.text).toMatch(/is not an amount/);
    expect((await (await slash(h, '/improver', 'help', { user: 'U1' })).reply()).body.text).toMatch(/Rate an answer with 👍/);
    const set = (await (await slash(h, '/improver', 'budget set user <@U1|ada> 0.10/day refuse', { user: 'U3' })).reply()).body.text;
    expect(set).toMatch(/Budget set: daily budget of <@U1>: \$0\.0000 of \$0\.1000 used \(0\.0%\); over it: refuse\./);
    expect((await h.store.budgets.list()).map((b) => [b.scope, b.scopeId, b.period, b.limitUsd, b.action, b.createdBy]))
      .toEqual([['user', 'U1', 'daily', 0.1, 'refuse', 'U3']]);
  });

  test('refuse: once the user is over budget, the next request is refused before any model call; alerts at 80 % and 100 % once each', async () => {
    await (await slash(h, '/improver', 'budget set user <@U1|ada> 0.10/day refuse', { user: 'U3' })).reply();
    const first = await ask('What is a good name for a cat?');
    expect(first.run.status).toBe('succeeded');
    expect(first.run.costUsd).toBeCloseTo(0.056, 6);
    await ask('And for a dog?'); // $0.112 now: over the $0.10
    const refused = await ask('And for a parrot?');
    expect(refused.run).toMatchObject({ status: 'refused', errorClass: 'BUDGET_EXCEEDED' });
    expect(refused.modelRequests).toHaveLength(0);
    expect(refused.reply).toMatch(/The daily budget of <@U1> is used up \(\$0\.1120 of \$0\.1000\), so I can't answer this now\. It resets at .* UTC \(in \d+ (h|min)\)/);
    // Someone else is not affected.
    expect((await ask('Name a fish', 'U2')).run.status).toBe('succeeded');
    await eventually(() => adminPosts().filter((t) => /Budget used up/.test(t)).length === 1);
    expect(adminPosts().filter((t) => /Budget (at 80 %|used up)/.test(t))).toEqual([
      expect.stringMatching(/Budget at 80 %.*daily budget of <@U1>.*\$0\.1120 of \$0\.1000/),
      expect.stringMatching(/Budget used up.*daily budget of <@U1>/),
    ]);
    await ask('One more?');
    expect(adminPosts().filter((t) => /Budget (at 80 %|used up)/.test(t))).toHaveLength(2); // once per threshold per period
  });

  test('downgrade: over budget, the answer comes from the cheaper model and says so', async () => {
    await (await slash(h, '/improver', 'budget set agent general 0.01/month downgrade', { user: 'U2' })).reply();
    const over = await ask('Tell me a joke');
    expect(over.run.status).toBe('succeeded');
    expect(over.modelRequests.map((r) => r.model)).toEqual(['gpt-4.1-nano']);
    expect(over.reply).toMatch(/monthly budget of agent `general` is used up .* so this answer comes from the cheaper `gpt-4\.1-nano`/);
    expect(over.run.serving).toMatchObject({ model: 'gpt-4.1-nano' });
  });
});

describe.skipIf(!postgresAvailable())('budget alerts with two instances', () => {
  test('two instances on one Postgres, both past the threshold: each alert is posted once', async () => {
    const url = await createTestDatabase();
    const [a, b] = await Promise.all([0, 1].map(async () => startHarness({ SLACK_STREAMING: 'off', ADMIN_CHANNEL }, { store: await postgresStore(url) })));
    try {
      for (const x of [a!, b!]) {
        x.slack.addChannel({ id: ADMIN_CHANNEL, name: 'improver-admin', members: [x.slack.botUserId] });
        x.openai.setResponder(() => ({ text: 'ok', usage: { prompt_tokens: 100_000, completion_tokens: 10_000 } }));
      }
      await a!.store.budgets.set({ scope: 'workspace', scopeId: 'T1', period: 'daily', limitUsd: 0.05, action: 'warn' });
      const answered = async (x: Harness, text: string) => {
        const event = mentionEvent({ text, user: 'U1', channel: 'C1' });
        await x.send(event);
        await eventually(async () => (await x.store.runs.find({ workspaceId: 'T1', eventId: event.event_id }))[0]?.status === 'succeeded');
      };
      await Promise.all([a!, b!].map((x) => answered(x, 'hello there')));
      // The next request on each instance sees the budget over 100 % and both try to alert.
      await Promise.all([a!, b!].map((x) => answered(x, 'hello again')));
      const posts = [a!, b!].flatMap((x) => x.slack.messages(ADMIN_CHANNEL).map((m) => m.text ?? ''));
      expect(posts.filter((t) => /Budget at 80 %/.test(t))).toHaveLength(1);
      expect(posts.filter((t) => /Budget used up/.test(t))).toHaveLength(1);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });
});
