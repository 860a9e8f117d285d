import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import { ToolError, type ToolContext, type ToolDefinition } from '../types.js';
import { defineTool } from './define.js';
import type { SlackAccess } from './slack-access.js';
import { slackErrorCode } from '../../slack/slack-error.js';

interface RawMessage { ts?: string; user?: string; bot_id?: string; username?: string; bot_profile?: { name?: string }; text?: string; reply_count?: number; subtype?: string }

const PAGE = 200;

/** `C123`, `<#C123|general>`, `<#C123>` or `#C123` → `C123`; names alone cannot be resolved without listing every channel. */
export function channelId(reference: string): string {
  const match = /^(?:<#|#)?([CGD][A-Z0-9]+)(?:\|[^>]*)?>?$/.exec(reference.trim());
  if (!match?.[1]) throw new ToolError('TOOL_INPUT_INVALID', `"${reference}" is not a channel ID; use the channel's ID (e.g. C0123ABCD) or its #channel link`);
  return match[1];
}

/** Messages as lines for the model: time, author name, text, with mentions turned into plain names (no pings). */
async function render(access: SlackAccess, client: WebClient, context: ToolContext, messages: RawMessage[]): Promise<string[]> {
  const ids = new Set<string>();
  for (const m of messages) {
    if (m.user) ids.add(m.user);
    for (const [, id] of (m.text ?? '').matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)) if (id) ids.add(id);
  }
  const names = new Map(await Promise.all([...ids].map(async (id) => [id, await access.userName(client, context.workspaceId, id)] as const)));
  return messages.map((m) => {
    const when = m.ts ? new Date(Number(m.ts) * 1000).toISOString().slice(0, 16).replace('T', ' ') : '?';
    const author = m.user ? names.get(m.user) ?? m.user : m.bot_profile?.name ?? m.username ?? 'a bot';
    const text = (m.text ?? '')
      .replace(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => `@${names.get(id) ?? id}`)
      .replace(/<!(channel|here|everyone)(?:\|[^>]*)?>/g, '@$1')
      .replace(/<#([CGD][A-Z0-9]+)\|([^>]*)>/g, '#$2');
    const replies = m.reply_count ? ` (${m.reply_count} ${m.reply_count === 1 ? 'reply' : 'replies'} in thread)` : '';
    return `[${when} UTC] ${author}: ${text}${replies}`;
  });
}

async function paged(fetchPage: (cursor: string | undefined, limit: number) => Promise<{ messages?: unknown[]; response_metadata?: { next_cursor?: string } }>, max: number): Promise<RawMessage[]> {
  const out: RawMessage[] = [];
  let cursor: string | undefined;
  do {
    const response = await fetchPage(cursor, Math.min(PAGE, max - out.length));
    out.push(...((response.messages ?? []) as RawMessage[]));
    cursor = response.response_metadata?.next_cursor || undefined;
  } while (cursor && out.length < max);
  return out.slice(0, max);
}

const failed = (what: string) => (error: unknown): never => {
  if (error instanceof ToolError) throw error;
  throw new ToolError('TOOL_FAILED', `could not read ${what} (Slack error: ${slackErrorCode(error)})`, { cause: error });
};

/** slack_read_channel and slack_read_thread: read-only, only where both the requesting user and the bot are members. */
export function slackReadTools(access: SlackAccess, caps: { maxMessages: number; maxDays: number }): ToolDefinition[] {
  const readChannel = defineTool({
    name: 'slack_read_channel',
    description: `Reads the recent top-level messages of a Slack channel (newest ${caps.maxMessages} at most, from the last ${caps.maxDays} days at most), ` +
      'oldest first, with author names. Use it to summarize or answer questions about a channel. Without `channel` it reads the current conversation. ' +
      'Only channels that both the user and you are members of can be read.',
    schema: z.object({
      channel: z.string().optional().describe('channel ID (C0123ABCD) or #channel link; default: the current conversation'),
      limit: z.number().int().min(1).optional().describe(`how many messages, at most ${caps.maxMessages} (default ${Math.min(100, caps.maxMessages)})`),
      days: z.number().positive().optional().describe(`how many days back, at most ${caps.maxDays} (default ${caps.maxDays})`),
    }),
    readOnly: true,
    async run(args, { context }) {
      const client = access.clientFor(context);
      const ctx = context!;
      const channel = args.channel ? channelId(args.channel) : ctx.channelId;
      if (!channel) throw new ToolError('TOOL_INPUT_INVALID', 'no channel given and no current conversation');
      await access.assertCanRead(client, ctx, channel);
      const limit = Math.min(args.limit ?? Math.min(100, caps.maxMessages), caps.maxMessages);
      const days = Math.min(args.days ?? caps.maxDays, caps.maxDays);
      const oldest = (Date.now() / 1000 - days * 86_400).toFixed(6);
      const messages = await paged((cursor, pageLimit) => client.conversations.history({ channel, limit: pageLimit, oldest, ...(cursor ? { cursor } : {}) }), limit)
        .catch(failed(`<#${channel}>`));
      const lines = await render(access, client, ctx, messages.reverse());
      const capped = (args.limit ?? 0) > caps.maxMessages || (args.days ?? 0) > caps.maxDays ? ` More than the limits was asked; capped at ${caps.maxMessages} messages and ${caps.maxDays} days.` : '';
      return `Channel <#${channel}>: ${lines.length} message${lines.length === 1 ? '' : 's'} from the last ${days} day${days === 1 ? '' : 's'} ` +
        `(oldest first, at most ${limit}).${capped}\n${lines.join('\n') || '(no messages)'}`;
    },
  });

  const readThread = defineTool({
    name: 'slack_read_thread',
    description: `Reads a Slack thread (the parent message and up to ${caps.maxMessages} replies), oldest first, with author names. ` +
      'Without arguments it reads the thread this conversation is in. Only threads in conversations that both the user and you are members of can be read.',
    schema: z.object({
      channel: z.string().optional().describe('channel ID or #channel link; default: the current conversation'),
      thread_ts: z.string().regex(/^\d+\.\d+$/, 'a message timestamp like 1712345678.123456').optional().describe('ts of the thread\'s parent message; default: the current thread'),
      limit: z.number().int().min(1).optional().describe(`at most ${caps.maxMessages}`),
    }),
    readOnly: true,
    async run(args, { context }) {
      const client = access.clientFor(context);
      const ctx = context!;
      const channel = args.channel ? channelId(args.channel) : ctx.channelId;
      const ts = args.thread_ts ?? (args.channel ? undefined : ctx.threadTs);
      if (!channel || !ts) throw new ToolError('TOOL_INPUT_INVALID', 'give both channel and thread_ts, or neither (to read the current thread)');
      await access.assertCanRead(client, ctx, channel);
      const limit = Math.min(args.limit ?? caps.maxMessages, caps.maxMessages);
      const messages = await paged((cursor, pageLimit) => client.conversations.replies({ channel, ts, limit: pageLimit, ...(cursor ? { cursor } : {}) }), limit)
        .catch(failed(`the thread ${ts} in <#${channel}>`));
      const lines = await render(access, client, ctx, messages);
      return `Thread ${ts} in <#${channel}>: ${lines.length} message${lines.length === 1 ? '' : 's'} (oldest first).\n${lines.join('\n')}`;
    },
  });
  return [readChannel, readThread];
}
