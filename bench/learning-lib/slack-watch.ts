import type { SlackCall, SlackStandin } from '../../tests/fakes/slack-standin.js';

/** What the user sees as the end of a turn: an answer (with its run id from the 👍/👎 buttons) or a failure notice. */
export interface Delivered {
  kind: 'answer' | 'failure';
  /** Every bot text of the thread since the turn began (an answer may be split over several messages). */
  text: string;
  runId?: string;
  /** ts of the message that carries the buttons (what a click refers to). */
  messageTs?: string;
  at: number;
}

interface Waiter { threadTs: string; since: number; resolve(d: Delivered): void; timer: NodeJS.Timeout }

/**
 * Reads the app's Slack Web API calls as they reach the stand-in and tells, per thread, when a turn ended: a
 * message with the feedback buttons is a delivered answer; a plain message (not an italic status or notice,
 * not a goal's progress) is a failure notice. Streaming is off in the bench, so an answer is one post or
 * update of the placeholder.
 */
export class SlackWatch {
  private cursor = 0;
  private readonly threadOf = new Map<string, string>();
  /** Per thread: texts by message ts, with when they were last written. */
  private readonly texts = new Map<string, Map<string, { text: string; at: number }>>();
  private readonly finals = new Map<string, Delivered[]>();
  private readonly waiters = new Set<Waiter>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly slack: SlackStandin) {
    this.timer = setInterval(() => this.drain(), 15);
  }

  /** The first end of turn in this thread at or after `since` (ms). */
  next(threadTs: string, since: number, timeoutMs: number): Promise<Delivered | null> {
    this.drain();
    const hit = (this.finals.get(threadTs) ?? []).find((d) => d.at >= since);
    if (hit) return Promise.resolve(this.withTurnText(threadTs, hit, since));
    return new Promise((resolve) => {
      const waiter: Waiter = {
        threadTs, since, resolve: (d) => { clearTimeout(waiter.timer); this.waiters.delete(waiter); resolve(this.withTurnText(threadTs, d, since)); },
        timer: setTimeout(() => { this.waiters.delete(waiter); resolve(null); }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  close(): void {
    clearInterval(this.timer);
    for (const w of this.waiters) clearTimeout(w.timer);
  }

  private drain(): void {
    const calls = this.slack.calls;
    while (this.cursor < calls.length) {
      const call = calls[this.cursor]!;
      if (call.status === undefined) return; // answered in order; wait for this one
      this.cursor++;
      this.read(call);
    }
  }

  private read(call: SlackCall): void {
    if (call.method !== 'chat.postMessage' && call.method !== 'chat.update') return;
    if (call.response?.ok !== true) return;
    const args = call.args;
    const ts: string = call.method === 'chat.postMessage' ? call.response.ts : args.ts;
    let thread: string | undefined;
    if (call.method === 'chat.postMessage' && typeof args.thread_ts === 'string') {
      thread = args.thread_ts;
      this.threadOf.set(ts, thread);
    } else {
      thread = this.threadOf.get(ts);
    }
    if (!thread) return;
    const blocks: any[] = Array.isArray(args.blocks) ? args.blocks : [];
    const sectionText = blocks.filter((b) => b?.type === 'section').map((b) => b.text?.text ?? '').join('\n');
    const text = String(sectionText || args.text || '');
    const at = call.at;
    const byTs = this.texts.get(thread) ?? new Map();
    byTs.set(ts, { text, at });
    this.texts.set(thread, byTs);
    const feedback = blocks.find((b) => b?.type === 'actions' && b.block_id === 'feedback');
    let delivered: Delivered | undefined;
    if (feedback) {
      const runId = feedback.elements?.find((e: any) => e.action_id === 'feedback_up')?.value;
      delivered = { kind: 'answer', text, runId, messageTs: ts, at };
    } else if (blocks.length === 0 && !/^\s*_/.test(text)) {
      delivered = { kind: 'failure', text, at };
    }
    if (!delivered) return;
    const list = this.finals.get(thread) ?? [];
    list.push(delivered);
    this.finals.set(thread, list);
    for (const w of [...this.waiters]) if (w.threadTs === thread && delivered.at >= w.since) w.resolve(delivered);
  }

  /** An answer's text is every bot text of the thread written since the turn began (it may be split over messages). */
  private withTurnText(thread: string, d: Delivered, since: number): Delivered {
    if (d.kind !== 'answer') return d;
    const entries = [...(this.texts.get(thread)?.values() ?? [])].filter((e) => e.at >= since && e.at <= d.at);
    return { ...d, text: entries.map((e) => e.text).join('\n') };
  }
}
