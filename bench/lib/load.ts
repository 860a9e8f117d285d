/**
 * One request as Slack would send it: the user's message exists in the channel, then an app_mention event
 * signed with v0 HMAC is POSTed to /slack/events. Ack = the HTTP response time of that POST; reply = from
 * sending the event to the answer reaching the Slack stand-in.
 */
import { performance } from 'node:perf_hooks';
import { mentionEvent, nextMessageTs, postEvent } from '../../tests/fakes/slack-events.js';
import type { Bot } from './bot-process.js';
import { CHANNELS, PEOPLE, SIGNING_SECRET, type World } from './world.js';

export interface Outcome {
  ackMs: number;
  ackStatus: number;
  /** Undefined when no answer came within the timeout. */
  replyMs?: number;
}

let seq = 0;

export async function ask(world: World, bot: Bot, timeoutMs = 30_000, channel?: string, from?: string): Promise<Outcome> {
  const n = ++seq;
  const token = `qid${n}x`;
  const ts = nextMessageTs();
  // Request n comes from person n mod 200 in channel n mod 20 (see PEOPLE in world.ts), unless `from` says who.
  const user = from ?? PEOPLE[n % PEOPLE.length]!;
  const where = channel ?? CHANNELS[n % CHANNELS.length]!;
  const text = `<@${world.slack.botUserId}> ${token} what is the capital of France?`;
  world.slack.addMessage(where, { user, text, ts });
  const payload = mentionEvent({ text, ts, channel: where, user, botUserId: world.slack.botUserId });
  const reply = world.replies.expect(bot.kind, token, ts);
  const sent = performance.now();
  const response = await postEvent(`${bot.url}/slack/events`, SIGNING_SECRET, payload);
  await response.arrayBuffer();
  const ackMs = performance.now() - sent;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), timeoutMs); });
  const at = await Promise.race([reply, timeout]);
  clearTimeout(timer);
  if (at === undefined) world.replies.drop(token, ts);
  return { ackMs, ackStatus: response.status, ...(at !== undefined ? { replyMs: at - sent } : {}) };
}

export async function sequential(world: World, bot: Bot, count: number): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let i = 0; i < count; i++) out.push(await ask(world, bot));
  return out;
}

/** `count` requests sent at once (each its own thread). */
export function burst(world: World, bot: Bot, count: number, timeoutMs?: number): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: count }, () => ask(world, bot, timeoutMs)));
}

/**
 * `count` requests spread evenly over `overMs` (each sent on time, not after the previous answer), from the first
 * `people` people in turn, across the channels: "200 mentions in 10 s from 20 users".
 */
export async function spread(world: World, bot: Bot, count: number, overMs: number, people: number): Promise<Outcome[]> {
  const start = performance.now();
  const pending: Array<Promise<Outcome>> = [];
  for (let i = 0; i < count; i++) {
    const wait = start + (i * overMs) / count - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(ask(world, bot, 60_000, CHANNELS[i % CHANNELS.length], PEOPLE[i % people]));
  }
  return Promise.all(pending);
}
