import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { Store } from '../../src/store/store.js';
import { SupabaseTransport } from '../../src/store/supabase/supabase-transport.js';
import { askAndWait, slash } from '../commands/slack-helpers.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { startRpcStandin, type RpcStandin } from '../fakes/postgrest-rpc-standin.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

// The Supabase transport (supabase-js → the PostgREST rpc stand-in → PGlite) behind a gateway that answers 502
// with an HTML page while its database is away: that is an outage (STORE_UNAVAILABLE), and the app takes the same
// path as on a stopped PostgreSQL server: answers, journals, says the truth to a command, replays once when back.

const KEY = 'service-role-test-key';
let standin: RpcStandin;
let h: Harness;
let dataDir: string;
const health = async () => (await fetch(`${h.url}/health`)).json() as Promise<Record<string, any>>;

describe('Supabase gateway 5xx during a conversation', () => {
  beforeAll(async () => {
    const sql = await openPglite();
    await migrate(sql);
    standin = await startRpcStandin(sql, KEY);
    dataDir = mkdtempSync(join(tmpdir(), 'outage-supabase-'));
    h = await startHarness({ SLACK_STREAMING: 'off', DATA_DIR: dataDir }, { store: new Store(new SupabaseTransport(standin.url, KEY)) });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await standin?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('502 from the gateway: answered and journaled, the command told, replayed once when the gateway answers again', async () => {
    await askAndWait(h, 'What is a good agenda for a retro?');
    standin.gatewayDown(502);

    const event = mentionEvent({ text: 'Summarize the last release notes please', user: 'U1', channel: 'C1' });
    await h.send(event);
    await h.send(event, { retryNum: 1, retryReason: 'http_timeout' });
    const answers = () => h.slack.messages('C1').filter((m) => m.thread_ts === event.event.ts && m.bot_id && JSON.stringify(m.blocks ?? []).includes('feedback_up'));
    await eventually(() => answers().length === 1, 15_000);
    const cmd = await slash(h, '/save-workflow', 'release-digest');
    expect((await cmd.reply()).body.text).toMatch(/^\/save-workflow needs my database, which I can't reach right now, so nothing was done\./);
    await h.settled();
    expect(answers()).toHaveLength(1);
    const degraded = await health();
    expect(degraded).toMatchObject({ status: 'degraded', checks: { store: 'degraded' }, outage: { state: 'degraded', store: { reachable: false } } });
    expect(degraded.outage.store.lastError).toMatch(/^STORE_UNAVAILABLE/);
    expect(degraded.outage.journal.runs).toBeGreaterThanOrEqual(2);

    standin.gatewayDown(null);
    await eventually(async () => { const b = await health(); return b.status === 'ok' && b.outage.journal.records === 0; }, 20_000);
    const runs = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
    expect(runs).toHaveLength(1);
    const run = (await h.store.runs.get(runs[0]!.id))!;
    expect(run).toMatchObject({ status: 'succeeded', delivered: true });
    expect(run.steps.some((s) => s.kind === 'model')).toBe(true);
    // The replay went through PostgREST like every other call.
    expect(standin.calls.some((c) => c.fn === 'run_journal_replay')).toBe(true);
  }, 90_000);
});
