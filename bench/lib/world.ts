/**
 * What both bots talk to, in the bench's own process: the Slack Web API stand-in and the OpenAI-compatible
 * stand-in from tests/fakes (real HTTP on 127.0.0.1), seeded like tests/support/harness.ts, plus a watcher that
 * times when each request's answer reaches Slack.
 */
import { performance } from 'node:perf_hooks';
import { startOpenAIStandin, type OpenAIStandin } from '../../tests/fakes/openai-standin.js';
import { startSlackStandin, type SlackCall, type SlackStandin } from '../../tests/fakes/slack-standin.js';
import type { BotKind } from './bot-process.js';

export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-bench-token';

interface Pending { token: string; eventTs: string; kind: BotKind; resolve(at: number): void }

/**
 * The answer has arrived when Slack receives its final message: the bare bot's chat.postMessage with the text;
 * the app's closing chat.update / chat.postMessage (it carries the feedback blocks; previews carry none), or, when
 * it streams, the chat.stopStream of the stream it opened in that thread.
 */
export class ReplyWatcher {
  private readonly byToken = new Map<string, Pending>();
  private readonly byThread = new Map<string, Pending>();

  constructor(private readonly slack: SlackStandin) {
    for (const method of ['chat.postMessage', 'chat.update', 'chat.stopStream']) {
      // Returning undefined lets the stand-in answer as usual; this only looks at the call as it arrives.
      slack.override(method, (args, call) => { this.seen(call, args); return undefined; });
    }
  }

  expect(kind: BotKind, token: string, eventTs: string): Promise<number> {
    return new Promise((resolve) => {
      const pending: Pending = { token, eventTs, kind, resolve };
      this.byToken.set(token, pending);
      this.byThread.set(eventTs, pending);
    });
  }

  /** Forgets a request that timed out. */
  drop(token: string, eventTs: string): void {
    this.byToken.delete(token);
    this.byThread.delete(eventTs);
  }

  private seen(call: SlackCall, args: Record<string, any>): void {
    const at = performance.now();
    if (call.method === 'chat.stopStream') {
      const start = this.slack.calls.find((c) => c.method === 'chat.startStream' && c.response?.ts === args.ts);
      const pending = start ? this.byThread.get(String(start.args.thread_ts)) : undefined;
      if (pending) this.settle(pending, at);
      return;
    }
    const text = typeof args.text === 'string' ? args.text : '';
    const token = /qid\d+x/.exec(text)?.[0];
    const pending = token ? this.byToken.get(token) : undefined;
    if (!pending) return;
    const final = pending.kind === 'bare' ? call.method === 'chat.postMessage' : Array.isArray(args.blocks);
    if (final) this.settle(pending, at);
  }

  private settle(pending: Pending, at: number): void {
    this.drop(pending.token, pending.eventTs);
    pending.resolve(at);
  }
}

export interface World {
  slack: SlackStandin;
  openai: OpenAIStandin;
  replies: ReplyWatcher;
  /** Environment every bot gets: Slack and OpenAI point at the stand-ins. */
  env: Record<string, string>;
  /** Clears recorded calls (memory) between phases, keeping users, channels and the watcher. */
  trim(): void;
  close(): Promise<void>;
}

/**
 * The people and channels the load comes from: many people in several channels, as a workspace makes it, not one
 * person sending hundreds of requests a minute (the app's fair-share limits, USER_RATE_PER_MINUTE and
 * CHANNEL_RATE_PER_MINUTE, would rightly refuse that, and the bare bot has none).
 */
export const PEOPLE = Array.from({ length: 200 }, (_, i) => `U${1000 + i}`);
export const CHANNELS = Array.from({ length: 20 }, (_, i) => `C${100 + i}`);

export async function startWorld(modelLatencyMs: number): Promise<World> {
  const slack = await startSlackStandin();
  slack.addUser({ id: 'U1', name: 'ada', real_name: 'Ada Lovelace', tz: 'Europe/London' });
  slack.addChannel({ id: 'C1', name: 'general', members: ['U1', slack.botUserId] });
  for (const id of PEOPLE) slack.addUser({ id, name: id.toLowerCase(), real_name: `Person ${id}`, tz: 'Europe/London' });
  for (const id of CHANNELS) slack.addChannel({ id, name: `team-${id.toLowerCase()}`, members: [...PEOPLE, slack.botUserId] });
  const openai = await startOpenAIStandin({ latencyMs: modelLatencyMs });
  const replies = new ReplyWatcher(slack);
  return {
    slack, openai, replies,
    env: {
      SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl,
      OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: openai.baseURL,
    },
    trim() {
      slack.calls.length = 0;
      openai.requests.length = 0;
      openai.embeddingRequests.length = 0;
    },
    async close() {
      await Promise.all([slack.close(), openai.close()]);
    },
  };
}
