import type { WebClient } from '@slack/web-api';
import { LRUCache } from 'lru-cache';
import { ToolError, type ToolContext } from '../types.js';
import { slackErrorCode } from '../../slack/slack-error.js';

export interface SlackUser { id: string; name: string; realName: string; title: string; tz?: string; tzLabel?: string; isBot: boolean }

const MEMBER_PAGES = 10;
const DIRECTORY_PAGES = 10;

/** Remembers a promise (so concurrent lookups share one API call) and forgets it if it fails. */
function cached<V>(cache: LRUCache<string, Promise<V>>, key: string, load: () => Promise<V>): Promise<V> {
  const hit = cache.get(key);
  if (hit) return hit;
  const pending = load();
  cache.set(key, pending);
  pending.catch(() => cache.delete(key));
  return pending;
}

/**
 * The Slack Web API as the built-in tools use it, with caches: user profiles (an hour), conversation
 * members (30 seconds, short so that someone who left a channel soon loses access through the bot) and the
 * user directory for name lookups (10 minutes). The client is attached when the Slack app starts; in the
 * console there is none and the Slack tools say so.
 */
export class SlackAccess {
  private client: WebClient | undefined;
  private botUser: Promise<string> | undefined;
  private readonly users = new LRUCache<string, Promise<SlackUser>>({ max: 5000, ttl: 60 * 60_000 });
  private readonly members = new LRUCache<string, Promise<Set<string>>>({ max: 500, ttl: 30_000 });
  private readonly directories = new LRUCache<string, Promise<SlackUser[]>>({ max: 20, ttl: 10 * 60_000 });

  attach(client: WebClient): void {
    this.client = client;
  }

  /** The app has one bot token, so one client serves the workspace it is installed in. */
  clientFor(context: ToolContext | undefined): WebClient {
    if (!this.client || !context || context.surface !== 'slack') {
      throw new ToolError('TOOL_UNAVAILABLE', 'Slack tools work only for requests made in Slack');
    }
    return this.client;
  }

  botUserId(client: WebClient): Promise<string> {
    this.botUser ??= client.auth.test().then((r) => String(r.user_id));
    this.botUser.catch(() => { this.botUser = undefined; });
    return this.botUser;
  }

  user(client: WebClient, workspaceId: string, userId: string): Promise<SlackUser> {
    return cached(this.users, `${workspaceId}:${userId}`, async () => {
      const response = await client.users.info({ user: userId });
      return toUser(response.user as RawUser);
    });
  }

  /** A display name for a user id; the id itself when the lookup fails (a deleted user, a bot). */
  async userName(client: WebClient, workspaceId: string, userId: string): Promise<string> {
    try {
      const user = await this.user(client, workspaceId, userId);
      return user.realName || user.name || userId;
    } catch {
      return userId;
    }
  }

  async directory(client: WebClient, workspaceId: string): Promise<SlackUser[]> {
    return cached(this.directories, workspaceId, async () => {
      const all: SlackUser[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < DIRECTORY_PAGES; page++) {
        const response = await client.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
        for (const raw of (response.members ?? []) as RawUser[]) all.push(toUser(raw));
        cursor = response.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return all;
    });
  }

  /**
   * Refuses (TOOL_REFUSED, with a reason for the model to pass on) unless both the requesting user and the
   * bot are members of the conversation. Nothing is read from a conversation before this passes.
   */
  async assertCanRead(client: WebClient, context: ToolContext, channel: string): Promise<void> {
    const bot = await this.botUserId(client);
    let members: Set<string>;
    try {
      members = await cached(this.members, `${context.workspaceId}:${channel}`, () => this.loadMembers(client, channel));
    } catch (error) {
      const code = slackErrorCode(error);
      if (code === 'channel_not_found' || code === 'not_in_channel' || code === 'method_not_supported_for_channel_type') {
        throw new ToolError('TOOL_REFUSED', `I cannot see conversation ${channel}: it does not exist or I have not been added to it.`);
      }
      throw new ToolError('TOOL_FAILED', `could not check who is in ${channel} (Slack error: ${code})`, { cause: error });
    }
    if (!members.has(bot)) {
      throw new ToolError('TOOL_REFUSED', `I am not a member of <#${channel}>, so I do not read it. Someone in it can add me first.`);
    }
    if (!members.has(context.userId)) {
      throw new ToolError('TOOL_REFUSED', `The requesting user is not a member of <#${channel}>, so I may not read it for them.`);
    }
  }

  private async loadMembers(client: WebClient, channel: string): Promise<Set<string>> {
    const members = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MEMBER_PAGES; page++) {
      const response = await client.conversations.members({ channel, limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const id of response.members ?? []) members.add(id);
      cursor = response.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    return members;
  }
}

interface RawUser {
  id?: string; name?: string; real_name?: string; tz?: string; tz_label?: string; is_bot?: boolean;
  profile?: { title?: string; real_name?: string; display_name?: string };
}

function toUser(raw: RawUser): SlackUser {
  return {
    id: raw.id ?? '', name: raw.profile?.display_name || raw.name || '', realName: raw.real_name || raw.profile?.real_name || raw.name || '',
    title: raw.profile?.title ?? '', isBot: Boolean(raw.is_bot),
    ...(raw.tz ? { tz: raw.tz } : {}), ...(raw.tz_label ? { tzLabel: raw.tz_label } : {}),
  };
}

