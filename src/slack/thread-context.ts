import type { WebClient } from '@slack/web-api';
import type { Logger } from '../ops/logger.js';
import type { HistoryMessage } from '../surface/surface.js';
import { slackErrorCode } from './slack-error.js';
import { cleanInput } from '../text/clean-input.js';

export interface ThreadContext {
  history: HistoryMessage[];
  /** Users who wrote in the thread: the only people an answer may mention. */
  participants: string[];
}

interface SlackMessage { user?: string; bot_id?: string; text?: string; ts?: string; subtype?: string }

/**
 * Earlier messages of the thread (conversations.replies) as conversation history, oldest first, without the
 * current message. The orchestrator trims it to the token budget. A failure to read (rate limit, missing
 * scope) degrades to no history rather than no answer.
 */
export async function readThreadContext(
  client: WebClient,
  args: { channel: string; threadTs: string; currentTs: string; userId: string; botUserId?: string; botId?: string; limit?: number },
  logger: Logger,
): Promise<ThreadContext> {
  const participants = new Set<string>([args.userId]);
  if (args.threadTs === args.currentTs) return { history: [], participants: [...participants] };
  try {
    const response = await client.conversations.replies({ channel: args.channel, ts: args.threadTs, limit: args.limit ?? 100 });
    const history: HistoryMessage[] = [];
    for (const message of (response.messages ?? []) as SlackMessage[]) {
      const text = cleanInput(message.text);
      if (!text || message.ts === args.currentTs) continue;
      const fromBot = (args.botUserId && message.user === args.botUserId) || (args.botId && message.bot_id === args.botId);
      if (fromBot) {
        history.push({ role: 'assistant', text });
      } else if (!message.bot_id && message.user) {
        participants.add(message.user);
        history.push({ role: 'user', text: `<@${message.user}>: ${text}`, userId: message.user });
      }
    }
    return { history, participants: [...participants] };
  } catch (error) {
    logger.warn({ err: slackErrorCode(error) }, 'thread history unavailable; answering without it');
    return { history: [], participants: [...participants] };
  }
}

/** Removes the bot's own mention from the text it was addressed with. */
export function stripBotMention(text: string, botUserId?: string): string {
  if (!botUserId) return text.trim();
  return text.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), '').replace(/\s{2,}/g, ' ').trim();
}
