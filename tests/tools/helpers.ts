import type { RecordedRequest, Reply } from '../fakes/openai-standin.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { eventually, type Harness } from '../support/harness.js';
import { LONG_PROMPT } from '../agents/helpers.js';

/** Requests that carry our tool definitions (the agent's), as opposed to a router's structured-output call. */
export const isAgentRequest = (r: RecordedRequest) => !r.body.response_format;
export const toolNames = (r: RecordedRequest): string[] => (r.body.tools ?? []).map((t: any) => t.function.name);
export const toolMessages = (r: RecordedRequest): any[] => (r.body.messages ?? []).filter((m: any) => m.role === 'tool');

/**
 * Scripts the OpenAI stand-in: a router call (if routing is ambiguous) picks `agentId`; the n-th agent
 * request (0-based) gets `script(n, request)`.
 */
export function script(h: Harness, agentId: string, reply: (n: number, req: RecordedRequest) => Reply): void {
  let n = 0;
  h.openai.setResponder((req) => (req.body.response_format ? { json: { agent_id: agentId, reason: 'test' } } : reply(n++, req)));
}

/** A specialist whose specialty words are unique, so a request naming them routes to it directly. */
export async function saveAgent(h: Harness, agentId: string, word: string, tools: string[]): Promise<void> {
  await h.store.agents.save({
    agentId, specialty: `${word} operations`, description: `${word} operations: ${word} tickets, ${word} services, ${word} reports.`,
    systemPrompt: LONG_PROMPT, tools, temperature: 0.1,
  });
}

/** Mentions the bot in `channel` and waits until the run has finished; returns the event and the finished run with its steps. */
export async function ask(h: Harness, text: string, options: { user?: string; channel?: string; timeoutMs?: number } = {}) {
  const event = mentionEvent({ text, user: options.user ?? 'U1', channel: options.channel ?? 'C1' });
  // Slack has the message too (the thread and channel tools read it from the Web API).
  h.slack.addMessage(options.channel ?? 'C1', { user: event.event.user, text: event.event.text, ts: event.event.ts });
  await h.send(event);
  const run = await eventually(async () => {
    const [found] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
    const full = found ? await h.store.runs.get(found.id) : null;
    return full && full.status !== 'running' ? full : null;
  }, options.timeoutMs ?? 15_000);
  const replies = h.slack.messages(options.channel ?? 'C1').filter((m) => m.thread_ts === event.event.ts && m.bot_id);
  return { event, run, replies, answer: replies.map((m) => m.text ?? '').join('\n') };
}

export const footerOf = (message: any): string => JSON.stringify(message?.blocks ?? []);
