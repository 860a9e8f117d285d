import { mentionEvent, newTriggerId, nextMessageTs, postEvent, postInteraction, postSlashCommand, threadReplyEvent } from '../../tests/fakes/slack-events.js';
import type { SlackStandin } from '../../tests/fakes/slack-standin.js';
import { seeded, type Random } from './random.js';
import type { Delivered, SlackWatch } from './slack-watch.js';
import type { HiddenWorld } from './world.js';
import { rephraseOf, type Ask, type Intent } from './workload.js';

/** How the simulated people behave; the same for both arms. */
export const BEHAVIOUR = {
  /** A good answer gets a 👍 this often. */
  thumbsUpGood: 0.15,
  /** A bad answer gets a 👎 this often … */
  thumbsDownBad: 0.2,
  /** … and a /better with a rating and words this often (otherwise no rating). */
  betterBad: 0.2,
  /** Someone unhappy asks again in the thread this often. */
  rephraseBad: 0.6,
  /** Reading time before reacting, ms (scaled with the model latencies). */
  thinkMs: [150, 450] as const,
  /** How long a person waits for an answer before giving up, ms. */
  patienceMs: 180_000,
};

export interface AskResult {
  index: number;
  intent: Intent;
  sentAt: number;
  latencyMs: number;
  good: boolean;
  outcome: 'answer' | 'failure' | 'timeout';
  threadTs: string;
  feedback: 'up' | 'down' | 'better' | null;
  followUp: null | { good: boolean; latencyMs: number; outcome: 'answer' | 'failure' | 'timeout' };
}

export interface ArmDeps {
  name: string;
  url: string;
  signingSecret: string;
  slack: SlackStandin;
  watch: SlackWatch;
  world: HiddenWorld;
  seed: number;
  latencyScale: number;
}

/**
 * The simulated people of one arm: each worker is one person asking its share of the script in order, in its
 * own new thread each time, reading the answer, sometimes rating it (with words when it is bad) and asking again
 * when unhappy. Everything goes through the app's real surfaces: signed events, button clicks, slash commands.
 */
export class ArmUsers {
  readonly results: AskResult[] = [];
  readonly errors: string[] = [];
  private readonly random: Random;

  constructor(private readonly deps: ArmDeps) {
    this.random = seeded(deps.seed);
  }

  static userOf(worker: number): string { return `U${String(worker + 1).padStart(3, '0')}`; }
  static channelOf(worker: number): string { return worker % 2 === 0 ? 'C1' : 'C2'; }

  async runWorker(worker: number, asks: Ask[], onDone: (r: AskResult) => void): Promise<void> {
    for (const ask of asks) {
      const result = await this.ask(worker, ask).catch((error: unknown) => {
        this.errors.push(`${this.deps.name} ask ${ask.index}: ${String(error)}`);
        return null;
      });
      if (result) { this.results.push(result); onDone(result); }
    }
  }

  private async ask(worker: number, ask: Ask): Promise<AskResult> {
    const { deps } = this;
    const user = ArmUsers.userOf(worker);
    const channel = ArmUsers.channelOf(worker);
    const ts = nextMessageTs();
    // The message exists in Slack before the event is delivered (the app reads threads back through the Web API).
    const event = mentionEvent({ text: ask.text, user, channel, ts });
    deps.slack.addMessage(channel, { user, text: event.event.text, ts });
    const sentAt = Date.now();
    await this.send(event);
    const first = await deps.watch.next(ts, sentAt, BEHAVIOUR.patienceMs);
    const judged = this.judge(first);
    const result: AskResult = {
      index: ask.index, intent: ask.intent, sentAt, latencyMs: (first?.at ?? Date.now()) - sentAt, good: judged.good, outcome: judged.outcome,
      threadTs: ts, feedback: null, followUp: null,
    };
    await this.think();
    const r = this.random();
    if (judged.good) {
      if (r < BEHAVIOUR.thumbsUpGood && first?.runId) { await this.click(user, channel, 'feedback_up', first); result.feedback = 'up'; }
      return result;
    }
    if (r < BEHAVIOUR.thumbsDownBad && first?.runId) {
      await this.click(user, channel, 'feedback_down', first);
      result.feedback = 'down';
    } else if (r < BEHAVIOUR.thumbsDownBad + BEHAVIOUR.betterBad) {
      await this.better(user, channel, `${this.random() < 0.5 ? 1 : 2} ${ask.complaint}`);
      result.feedback = 'better';
    }
    if (this.random() < BEHAVIOUR.rephraseBad) {
      const reply = threadReplyEvent({ text: rephraseOf(ask, this.random), user, channel, thread_ts: ts });
      deps.slack.addMessage(channel, { user, text: reply.event.text, ts: reply.event.ts, thread_ts: ts });
      const since = Date.now();
      await this.send(reply);
      const again = await deps.watch.next(ts, since, BEHAVIOUR.patienceMs);
      const followUp = this.judge(again);
      result.followUp = { good: followUp.good, outcome: followUp.outcome, latencyMs: (again?.at ?? Date.now()) - since };
      await this.think();
    }
    return result;
  }

  private judge(d: Delivered | null): { good: boolean; outcome: AskResult['outcome'] } {
    if (!d) return { good: false, outcome: 'timeout' };
    if (d.kind === 'failure') return { good: false, outcome: 'failure' };
    return { good: this.deps.world.judgeDelivered(d.text).good, outcome: 'answer' };
  }

  private think(): Promise<void> {
    const [lo, hi] = BEHAVIOUR.thinkMs;
    return new Promise((r) => setTimeout(r, (lo + this.random() * (hi - lo)) * this.deps.latencyScale));
  }

  private async send(payload: unknown): Promise<void> {
    const response = await postEvent(`${this.deps.url}/slack/events`, this.deps.signingSecret, payload);
    if (!response.ok) throw new Error(`event refused: HTTP ${response.status}`);
    await response.text();
  }

  private async click(user: string, channel: string, actionId: 'feedback_up' | 'feedback_down', answer: Delivered): Promise<void> {
    const response = await postInteraction(`${this.deps.url}/slack/events`, this.deps.signingSecret, {
      type: 'block_actions', user: { id: user, team_id: 'T1' }, team: { id: 'T1' }, api_app_id: 'A1', token: 't',
      channel: { id: channel }, container: { type: 'message', message_ts: answer.messageTs, channel_id: channel },
      message: { ts: answer.messageTs }, response_url: this.deps.slack.responseUrl(), trigger_id: newTriggerId(),
      actions: [{ type: 'button', action_id: actionId, block_id: 'feedback', value: answer.runId, action_ts: String(Date.now() / 1000) }],
    });
    await response.text();
  }

  /** /better [rating] [words]: applies to this person's latest request in the channel (the one just answered). */
  private async better(user: string, channel: string, text: string): Promise<void> {
    const response = await postSlashCommand(`${this.deps.url}/slack/events`, this.deps.signingSecret, {
      command: '/better', text, user_id: user, channel_id: channel, team_id: 'T1', trigger_id: newTriggerId(),
      response_url: this.deps.slack.responseUrl(),
    });
    await response.text();
  }
}
