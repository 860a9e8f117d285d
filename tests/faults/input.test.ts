import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { SqlClient } from '../../src/store/sql-client.js';
import { dmEvent, mentionEvent } from '../fakes/slack-events.js';
import { askAndWait, slash, storeWithSql } from '../commands/slack-helpers.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { botMessages, endedRun } from './support.js';

// Fault suite, part 3: what people type. Every slash command with arguments it cannot use, and mentions with
// control characters, broken Unicode, nothing in them or far too much. Each gets a reply that says what was
// wrong and what to do, the run is recorded as it should be, and the next ordinary request is still answered.
// One app for the file; the per-person and per-channel rates are off here (this file sends ~80 requests in
// well under a minute; limits.test.ts covers the rates).
let h: Harness;
let sql: SqlClient;
beforeAll(async () => {
  const db = await storeWithSql();
  sql = db.sql;
  h = await startHarness({ SLACK_STREAMING: 'off', ADMIN_USERS: 'U1', USER_RATE_PER_MINUTE: '0', CHANNEL_RATE_PER_MINUTE: '0' }, { store: db.store });
  h.slack.addUser({ id: 'U3', name: 'alan', real_name: 'Alan Turing' });
  h.slack.addChannel({ id: 'C2', name: 'random', members: ['U3', h.slack.botUserId] });
  // Something to rate and to save: U1's most recent answer in C1.
  await askAndWait(h, 'Summarize the release notes for the team');
});
afterAll(async () => { await h?.close(); });
beforeEach(() => { h.openai.reset(); });

/** C0 controls but tab, LF and CR, and DEL: what cleanInput drops. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The newest command run of a user: what the run log recorded for the command just answered. */
async function lastCommandRun(userId: string) {
  const [run] = await sql.query<{ request_text: string; status: string; error_class: string | null }>(
    `select request_text, status, error_class from runs where kind = 'command' and user_id = $1 order by started_at desc limit 1`, [userId]);
  return run;
}

/** The process still serves: an ordinary question from someone else, elsewhere, is answered. */
async function nextRequestIsAnswered() {
  const event = mentionEvent({ text: 'what time zone is the office in?', user: 'U3', channel: 'C2' });
  await h.send(event);
  expect(await eventually(() => endedRun(h, event.event_id))).toMatchObject({ status: 'succeeded' });
  expect(botMessages(h, 'C2', event.event.ts).map((m) => m.text)).toEqual([expect.stringMatching(/^Answer: what time zone/)]);
}

interface CommandCase {
  name: string;
  command: string;
  text: string;
  user?: string;
  /** Each must match the reply: what was wrong, and what to do. */
  says: RegExp[];
  run: { status: 'refused' | 'succeeded'; errorClass?: string };
  check?: (reply: string) => Promise<void> | void;
}

const INVALID = { status: 'refused', errorClass: 'INPUT_INVALID' } as const;
const OK = { status: 'succeeded' } as const;
const noBudgets = async () => { expect(await h.store.budgets.list()).toEqual([]); };
const feedbackTexts = () => sql.query<{ text: string | null; rating: number | null }>(
  `select text, rating from feedback where user_id = 'U1' order by created_at`);

const commandCases: CommandCase[] = [
  // /better
  { name: '/better with nothing', command: '/better', text: '', says: [/^Say how it went: a rating from 1 to 5, some words, or both\./, /Examples: `\/better 2/], run: INVALID },
  { name: '/better with only whitespace', command: '/better', text: ' \t  ', says: [/^Say how it went/, /\*\/better \[1-5\]/], run: INVALID },
  { name: '/better 9 (out of range)', command: '/better', text: '9', says: [/^The rating must be a whole number from 1 to 5 \(got `9`\)\./, /\/better 5/], run: INVALID,
    check: async () => { expect(await feedbackTexts()).toEqual([]); } },
  { name: '/better 0 with words', command: '/better', text: '0 meh', says: [/got `0`/], run: INVALID },
  { name: '/better 3.5 (not whole)', command: '/better', text: '3.5 fine', says: [/whole number from 1 to 5 \(got `3\.5`\)/], run: INVALID,
    check: async () => { expect(await feedbackTexts()).toEqual([]); } },
  { name: '/better with 5,000 characters: recorded, cut to what is kept, and said', command: '/better', text: `too wordy ${'x'.repeat(4990)}`,
    says: [/^Thanks — recorded “too wordy x+…” on the answer to “Summarize the release notes for the team”/, /_Your feedback was long, so I kept its first 4,000 characters\._$/], run: OK,
    check: async () => { expect((await feedbackTexts()).map((f) => f.text?.length)).toEqual([4000]); } },
  { name: '/better with a rating and 5,000 emoji: recorded, cut between emoji, in the reply and the database', command: '/better', text: `4 ${'🙂'.repeat(5000)}`,
    says: [/^Thanks — recorded 4\/5 and “🙂{59}…” on the answer to “Summarize the release notes/u, /kept its first 4,000 characters/], run: OK,
    check: async () => {
      const [, second, ...more] = await feedbackTexts();
      expect(more).toEqual([]);
      // 4,000 characters, each a whole emoji (two UTF-16 units): not one cut in half.
      expect([second!.rating, Array.from(second!.text!).length, LONE_SURROGATE.test(second!.text!)]).toEqual([4, 4000, false]);
    } },
  // /metrics
  { name: '/metrics 13q (not a period)', command: '/metrics', text: '13q', says: [/^`13q` is not a period I know: use 24h, 7d, 30d or all\./, /\*\/metrics \[24h\|7d\|30d\|all\] \[agent\]\*/], run: INVALID },
  { name: '/metrics -5d', command: '/metrics', text: '-5d', says: [/^`-5d` is not a period I know: use 24h, 7d, 30d or all\./], run: INVALID },
  { name: '/metrics 7d 30d (two periods)', command: '/metrics', text: '7d 30d', says: [/^Give one period \(you gave `7d` and `30d`\)\./, /The period defaults to 7d/], run: INVALID },
  { name: '/metrics 7d 7d (a period twice)', command: '/metrics', text: '7d 7d', says: [/^Give one period \(you gave `7d` and `7d`\)\./], run: INVALID },
  { name: '/metrics with three arguments', command: '/metrics', text: '7d research extra', says: [/^Too many arguments: give at most a period and an agent, e\.g\. `\/metrics 30d research`\./], run: INVALID },
  { name: '/metrics for an agent that does not exist', command: '/metrics', text: 'no-such-agent', says: [/^There is no agent `no-such-agent`\. Agents: .*`research`/], run: INVALID },
  { name: '/metrics with control characters around the period: they are dropped, the 30-day report is shown',
    command: '/metrics', text: '\u0000\u0007 30d\u001b', says: [/^\*Metrics — the last 30 days\*/], run: OK,
    check: async () => { expect((await lastCommandRun('U1'))!.request_text).toBe('/metrics  30d'); } },
  { name: '/metrics with a 5,000-character word: named, shortened, not echoed whole', command: '/metrics', text: 'q'.repeat(5000),
    says: [/^I did not understand `q{39}…`: it is neither a period \(24h, 7d, 30d, all\) nor an agent id/], run: INVALID,
    check: (reply) => { expect(reply.length).toBeLessThan(1500); } },
  // /save-workflow
  { name: '/save-workflow with no name', command: '/save-workflow', text: '', says: [/^Give the workflow a name\./, /Names are slugs: lowercase letters, digits and dashes/], run: INVALID },
  { name: '/save-workflow Bad_Name!', command: '/save-workflow', text: 'Bad_Name!', says: [/^`Bad_Name!` is not a valid name: use lowercase letters, digits and dashes \(at most 63\), e\.g\. `weekly-report`\./], run: INVALID,
    check: async () => { expect(await h.store.workflows.list('T1')).toEqual([]); } },
  { name: '/save-workflow with an 80-character name', command: '/save-workflow', text: 'a'.repeat(80), says: [/^`a{39}…` is not a valid name: .*at most 63/], run: INVALID },
  { name: '/save-workflow with an unknown option', command: '/save-workflow', text: 'notes --force', says: [/^Unknown option `--force`: the only option is `--replace`\./], run: INVALID },
  { name: '/save-workflow with a NUL inside the name and an emoji description: saved under the cleaned name',
    command: '/save-workflow', text: 'release\u0000-notes for the team 👋🏽', says: [/^Saved workflow `release-notes` \(1 task: .+\) from your request “Summarize the release notes for the team”/], run: OK,
    check: async () => { expect(await h.store.workflows.get('T1', 'release-notes')).toMatchObject({ description: 'for the team 👋🏽' }); } },
  // /workflows
  { name: '/workflows delete without a name', command: '/workflows', text: 'delete', says: [/^Say which workflow to delete: `\/workflows delete <name>` \(`\/workflows` lists the names\)\./], run: INVALID },
  { name: '/workflows delete with two names', command: '/workflows', text: 'delete release notes', says: [/^Delete one workflow at a time, by its name \(names have no spaces\)/], run: INVALID,
    check: async () => { expect(await h.store.workflows.get('T1', 'release-notes')).toBeTruthy(); } },
  { name: '/workflows delete Bad!', command: '/workflows', text: 'delete Bad!', says: [/^`Bad!` is not a workflow name: names are lowercase letters, digits and dashes/], run: INVALID },
  { name: '/workflows delete of one that does not exist', command: '/workflows', text: 'delete nope', says: [/^There is no workflow named `nope`\. See `\/workflows` for the list\./], run: OK },
  { name: '/workflows with an unknown subcommand', command: '/workflows', text: 'frobnicate', says: [/^`\/workflows frobnicate` is not something I can do: `\/workflows` lists the workflows, `\/workflows delete <name>` deletes one\./], run: INVALID },
  // /improver (U1 is an admin through ADMIN_USERS)
  { name: '/improver with an unknown subcommand', command: '/improver', text: 'frobnicate', says: [/^I do not know `\/improver frobnicate`: the subcommands are below\./, /\*\/improver budget set/], run: INVALID },
  { name: '/improver budget set with an unknown scope', command: '/improver', text: 'budget set nowhere 5/day', says: [/^Say which budget: `global`, `workspace`, `user`, `agent`\./], run: INVALID, check: noBudgets },
  { name: '/improver budget set with no amount', command: '/improver', text: 'budget set global', says: [/^Say how much: e\.g\. `5\/day` or `\$100\/month`\./], run: INVALID, check: noBudgets },
  { name: '/improver budget set lots/day', command: '/improver', text: 'budget set global lots/day', says: [/^`lots\/day` is not an amount: write dollars and a period, e\.g\. `5\/day`/], run: INVALID, check: noBudgets },
  { name: '/improver budget set 5/week (no such period)', command: '/improver', text: 'budget set global 5/week', says: [/^`week` is not a budget period: budgets are per day or per month, e\.g\. `5\/day` or `100\/month`\./], run: INVALID, check: noBudgets },
  { name: '/improver budget set 0/day', command: '/improver', text: 'budget set global 0/day', says: [/^The amount must be more than \$0\./], run: INVALID, check: noBudgets },
  { name: '/improver budget set with an unknown action', command: '/improver', text: 'budget set global 5/day explode', says: [/^`explode` is not an action: use `warn`, `refuse`, `downgrade`\./], run: INVALID, check: noBudgets },
  { name: '/improver budget set with words after the action', command: '/improver', text: 'budget set global 5/day refuse right now', says: [/^Too many words after the action \(`right now`\): `\/improver budget set <scope>/], run: INVALID, check: noBudgets },
  { name: '/improver budget set user without naming one', command: '/improver', text: 'budget set user 5/day', says: [/^Name the user: `\/improver budget set user @someone 5\/day`\./], run: INVALID, check: noBudgets },
  { name: '/improver budget with an unknown verb', command: '/improver', text: 'budget frob', says: [/^`frob` is not a budget action: use set, list or remove\./], run: INVALID },
  { name: '/improver budget from someone who is not an admin', command: '/improver', text: 'budget set global 5/day', user: 'U2',
    says: [/^Only workspace owners and admins \(and the users listed in ADMIN_USERS\) can use `\/improver budget`\. Ask one of them, or try `\/improver help`\./], run: INVALID, check: noBudgets },
];

describe('slash commands with arguments they cannot use', () => {
  test.each(commandCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const user = c.user ?? 'U1';
    const cmd = await slash(h, c.command, c.text, { user });
    expect(cmd.status).toBe(200);
    const replies = await eventually(() => (cmd.replies().length ? cmd.replies() : null));
    expect(replies).toHaveLength(1);
    const reply = replies[0]!.body.text as string;
    for (const pattern of c.says) expect(reply).toMatch(pattern);
    expect(LONE_SURROGATE.test(reply)).toBe(false); // whatever is quoted back is cut between characters
    // The reply is the answer: the run was finished before it was sent.
    const run = await lastCommandRun(user);
    expect(run).toMatchObject({ status: c.run.status, error_class: c.run.errorClass ?? null });
    expect(run!.request_text.startsWith(c.command)).toBe(true);
    expect(CONTROL.test(run!.request_text)).toBe(false);
    await c.check?.(reply);
    expect(h.openai.requests).toEqual([]); // none of these needs a model
    await nextRequestIsAnswered();
  });
});

interface MentionCase {
  name: string;
  text: string;
  /** The bot's messages in the thread, in order. */
  says: RegExp[];
  run: { status: 'refused' | 'succeeded'; errorClass?: string };
  /** What reached the model (the person's message in the last request), when one was asked. */
  model?: (message: string) => void;
  /** What the run log recorded as the request. */
  recorded?: (requestText: string) => void;
}

const EMPTY = /^I got an empty message\. Ask me a question, or give me a goal to plan\.$/;
const rtl = 'مرحبا 👋🏽 שלום — \u200Fwhat does this greeting say? 🇯🇵';

const mentionCases: MentionCase[] = [
  { name: 'NUL and other control characters: dropped, the rest answered', text: 'what is\u0000 2+2\u0007?\u001b',
    says: [/^Answer: what is 2\+2\?$/], run: OK,
    model: (m) => expect(m).toBe('what is 2+2?'), recorded: (t) => expect(t).toBe('what is 2+2?') },
  { name: 'lone surrogates (half an emoji each): replaced by U+FFFD, answered', text: 'half \uD83D here, half \uDC4B there',
    says: [/^Answer: half \uFFFD here, half \uFFFD there$/], run: OK,
    recorded: (t) => expect([t, LONE_SURROGATE.test(t)]).toEqual(['half \uFFFD here, half \uFFFD there', false]) },
  { name: 'only whitespace: told the message was empty, refused without a model call', text: '  \n\t  ', says: [EMPTY], run: INVALID },
  { name: 'only the mention', text: '<@UBOT>', says: [EMPTY], run: INVALID },
  { name: 'only control characters', text: '\u0000\u0001\u0002\u007F', says: [EMPTY], run: INVALID },
  { name: '20,000 characters: the first 12,000 are read, and the person is told', text: 'word '.repeat(4000),
    says: [/^Answer: word word[\s\S]*\n\n_Your message was long, so I read only its first 11,999 characters\._$/], run: OK,
    // Cut at the last space before 12,000 (MAX_INPUT_CHARS): the note gives the count that was read.
    model: (m) => expect(m.length).toBe(11_999) },
  { name: 'an emoji across the 12,000-character cut: not split in half', text: `${'a'.repeat(11_999)}👋 and more`,
    says: [/^Answer: a+\n\n_Your message was long, so I read only its first 11,999 characters\._$/], run: OK,
    model: (m) => expect(m).toBe('a'.repeat(11_999)) },
  { name: 'right-to-left text, a bidi mark and emoji: kept as written', text: rtl,
    says: [new RegExp(`^Answer: ${rtl.replace(/[?]/g, '\\?')}$`, 'u')], run: OK,
    model: (m) => expect(m).toBe(rtl), recorded: (t) => expect(t).toBe(rtl) },
];

describe('mentions with odd input', () => {
  test.each(mentionCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const event = mentionEvent({ text: c.text, user: 'U2' });
    expect((await h.send(event)).status).toBe(200);
    const run = await eventually(() => endedRun(h, event.event_id), 15_000);
    await h.settled();
    expect(run).toMatchObject({ status: c.run.status, errorClass: c.run.errorClass ?? null });
    const said = botMessages(h, 'C1', event.event.ts).map((m) => m.text as string);
    expect(said).toHaveLength(c.says.length);
    c.says.forEach((pattern, i) => expect(said[i]).toMatch(pattern));
    const asked = h.openai.requests.filter((r) => !r.body.response_format && !r.body.tool_choice);
    if (c.run.status === 'refused') expect(asked).toEqual([]);
    if (c.model) c.model(asked.at(-1)!.lastUserMessage);
    c.recorded?.(run.requestText);
    await nextRequestIsAnswered();
  });
});

describe('messages Slack sends in other shapes', () => {
  test('a file shared with words in a DM is answered from its words; editing it later is not a new request', async () => {
    const event = dmEvent({ text: 'what does this screenshot of the error mean?', user: 'U2', channel: 'D77' });
    event.event.subtype = 'file_share';
    event.event.files = [{ id: 'F1', name: 'error.png', mimetype: 'image/png', url_private: 'https://files.slack.com/F1' }];
    h.slack.addChannel({ id: 'D77', name: 'dm', members: ['U2', h.slack.botUserId] });
    expect((await h.send(event)).status).toBe(200);
    const run = await eventually(() => endedRun(h, event.event_id), 15_000);
    await h.settled();
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(botMessages(h, 'D77', event.event.ts).map((m) => m.text)).toEqual([expect.stringMatching(/^Answer: what does this screenshot/)]);

    const edit = dmEvent({ text: '', user: 'U2', channel: 'D77' });
    Object.assign(edit.event, { subtype: 'message_changed', message: { type: 'message', user: 'U2', text: 'what does this error mean, edited', ts: event.event.ts }, previous_message: { text: event.event.text } });
    const before = h.openai.requests.length;
    expect((await h.send(edit)).status).toBe(200);
    await nextRequestIsAnswered(); // a later request is answered, and by then the edit would have been too
    expect(await endedRun(h, edit.event_id)).toBeNull();
    expect(h.openai.requests.slice(before).some((r) => /edited/.test(r.lastUserMessage))).toBe(false);
  });
});
