import { AIMessage, SystemMessage, type AIMessageChunk, type BaseMessage } from '@langchain/core/messages';
import type { ToolSpec } from '../model/port.js';
import { executeToolCall, type ExecutorOptions, type ToolCallRequest } from './executor.js';
import type { ToolContext, ToolDefinition } from './types.js';

/** One model round of an answer (retries included), as the agent reports it. */
export interface ModelRound {
  model: string;
  tokensIn: number;
  tokensOut: number;
  latencyMs: number;
  /** HTTP calls the round took (1 + retries). */
  modelCalls: number;
  finishReason?: string;
}

/** A round plus the message itself, whose tool calls drive the loop. */
export interface RoundResult extends ModelRound {
  message: AIMessageChunk;
  text: string;
}

/** What the model is offered in a round: the tools, and whether it may call them. */
export interface ToolOffer {
  tools: ToolSpec[];
  toolChoice: 'auto' | 'none';
  /** 1-based round of the loop, recorded on the round's step. */
  round: number;
}

/** One model round (the agent's metered call with its retries). */
export type ModelCaller = (messages: BaseMessage[], offer: ToolOffer, deadline: number) => Promise<RoundResult>;

export interface ToolLoopInput {
  tools: ToolDefinition[];
  messages: BaseMessage[];
  callModel: ModelCaller;
  maxRounds: number;
  deadline: number;
  context?: ToolContext;
  executor: ExecutorOptions;
}

export interface ToolLoopResult {
  rounds: RoundResult[];
  /** Tools the model called, in first-call order. */
  toolsUsed: string[];
  /** For the user (tool servers that stopped responding…). */
  notices: string[];
  /** True when the model used every allowed round and had to answer without tools. */
  capped: boolean;
}

export const capNote = (rounds: number) =>
  `You have used all ${rounds} rounds of tool calls allowed for one answer. Do not call tools now: answer with what you have, ` +
  'and say plainly that you stopped at the tool-call limit and what is still missing.';

/** The calls of a model message; unparseable arguments become calls marked invalid (answered with an error). */
function toolCallsOf(message: AIMessageChunk): ToolCallRequest[] {
  const valid = (message.tool_calls ?? []).map((c, i) => ({ id: c.id ?? `call_${i}`, name: c.name, args: (c.args ?? {}) as Record<string, unknown> }));
  const invalid = (message.invalid_tool_calls ?? []).map((c, i) => ({
    id: c.id ?? `call_invalid_${i}`, name: c.name ?? 'unknown', args: {}, invalid: c.error ?? 'malformed arguments',
  }));
  return [...valid, ...invalid];
}

/**
 * model → tool calls → model, at most maxRounds rounds of calls. Calls of one round are independent by
 * construction (the model issued them together), so they run concurrently. Past the cap the model gets one
 * last call with tool_choice "none" and an instruction to answer with what it has. Time spent waiting for a
 * human approval moves the deadline: the deadline bounds the work, not the user's reaction time. Every
 * round is a metered model call, so a round that fails after earlier ones succeeded leaves their cost in
 * the run log.
 */
export async function runToolLoop(input: ToolLoopInput): Promise<ToolLoopResult> {
  const specs: ToolSpec[] = input.tools.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  const byName = new Map(input.tools.map((t) => [t.name, t]));
  const messages = [...input.messages];
  const rounds: RoundResult[] = [];
  const used = new Set<string>();
  const notices = new Set<string>();
  let deadline = input.deadline;
  for (let round = 0; ; round++) {
    const last = round >= input.maxRounds;
    if (last) messages.push(new SystemMessage(capNote(input.maxRounds)));
    const result = await input.callModel(messages, { tools: specs, toolChoice: last ? 'none' : 'auto', round: round + 1 }, deadline);
    rounds.push(result);
    const calls = toolCallsOf(result.message);
    // A forced last round counts as capped even if the model complied: it was stopped, it did not finish on its own.
    if (calls.length === 0 || last) return { rounds, toolsUsed: [...used], notices: [...notices], capped: last };
    // The assistant turn is rebuilt from the parsed calls so every call id has exactly one tool answer.
    messages.push(new AIMessage({ content: result.text, tool_calls: calls.map((c) => ({ id: c.id, name: c.name, args: c.args, type: 'tool_call' as const })) }));
    const outcomes = await Promise.all(calls.map((call) => executeToolCall(byName.get(call.name), call, {
      ...(input.context ? { context: input.context } : {}), deadline, options: input.executor,
    })));
    deadline += Math.max(0, ...outcomes.map((o) => o.waitedMs));
    for (const [i, outcome] of outcomes.entries()) {
      messages.push(outcome.message);
      if (byName.has(calls[i]!.name)) used.add(calls[i]!.name);
      if (outcome.notice) notices.add(outcome.notice);
    }
  }
}
