import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';
import { mentionEvent, newTriggerId, postInteraction, postSlashCommand } from '../fakes/slack-events.js';
import type { ResponseUrlPost } from '../fakes/slack-standin.js';
import { eventually, SIGNING_SECRET, type Harness } from '../support/harness.js';

/** A migrated PGlite store plus its SQL client, to check rows the store API does not read back. */
export async function storeWithSql(): Promise<{ store: Store; sql: SqlClient }> {
  const sql = await openPglite();
  await migrate(sql);
  return { store: new Store(new SqlTransport('pglite', sql, classifySqlError)), sql };
}

let n = 0;

/**
 * Posts a signed slash command and measures how long the app took to acknowledge it (Slack's limit is 3 s).
 * `reply()` waits for the private answer the app sends to the command's response_url.
 */
export async function slash(h: Harness, command: string, text: string, o: { user?: string; channel?: string; team?: string } = {}) {
  const id = `cmd${++n}-${Date.now()}`;
  const started = Date.now();
  const response = await postSlashCommand(`${h.url}/slack/events`, SIGNING_SECRET, {
    command, text, user_id: o.user ?? 'U1', channel_id: o.channel ?? 'C1', team_id: o.team ?? 'T1', trigger_id: newTriggerId(),
    response_url: h.slack.responseUrl(id),
  });
  const ackMs = Date.now() - started;
  const ackBody = await response.text();
  return {
    status: response.status, ackMs, ackBody,
    replies: () => h.slack.responseUrlPosts.filter((p) => p.id === id),
    reply: (timeoutMs = 10_000): Promise<ResponseUrlPost> => eventually(() => h.slack.responseUrlPosts.find((p) => p.id === id), timeoutMs),
  };
}

/** Mentions the bot and waits for the answer and its run; returns both. */
export async function askAndWait(h: Harness, text: string, o: { user?: string; channel?: string } = {}) {
  const event = mentionEvent({ text, user: o.user ?? 'U1', channel: o.channel ?? 'C1' });
  await h.send(event);
  const run = await eventually(async () => {
    const [r] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
    return r && r.status !== 'running' ? r : null;
  });
  const answer = await eventually(() => h.slack.messages(o.channel ?? 'C1')
    .find((m) => m.thread_ts === event.event.ts && m.bot_id && JSON.stringify(m.blocks ?? []).includes('feedback_up')));
  return { event, run, answer };
}

/** A block_actions click on one of an answer's buttons. */
export function click(h: Harness, actionId: string, value: string, o: { user?: string; messageTs: string; channel?: string; responseUrl?: string }) {
  return postInteraction(`${h.url}/slack/events`, SIGNING_SECRET, {
    type: 'block_actions', user: { id: o.user ?? 'U1', team_id: 'T1' }, team: { id: 'T1' }, api_app_id: 'A1', token: 't',
    channel: { id: o.channel ?? 'C1' }, container: { type: 'message', message_ts: o.messageTs, channel_id: o.channel ?? 'C1' },
    message: { ts: o.messageTs }, response_url: o.responseUrl ?? h.slack.responseUrl(), trigger_id: newTriggerId(),
    actions: [{ type: 'button', action_id: actionId, block_id: 'feedback', value, action_ts: String(Date.now() / 1000) }],
  });
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk (which must come first), or null when it is not a PNG. */
export function pngSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE) || bytes.toString('ascii', 12, 16) !== 'IHDR') return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
