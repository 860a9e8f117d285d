import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { UniversalAgent } from '../../src/agents/universal-agent.js';
import type { ApprovalRequest } from '../../src/surface/surface.js';
import { calculatorTool } from '../../src/tools/builtin/calculator.js';
import { defineTool } from '../../src/tools/builtin/define.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { ToolError, type ToolCallRecord, type ToolContext, type ToolDefinition } from '../../src/tools/types.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { agentConfig } from '../agents/helpers.js';
import { memoryMeter, standinModels } from '../support/models.js';
import { toolMessages, toolNames } from './helpers.js';

// The tool-calling loop of a universal agent against the OpenAI stand-in, which speaks the wire format:
// `tools` in the request, `tool_calls` in the reply, `role: "tool"` messages in the next request.
const logger = pino({ level: 'silent' });
let openai: OpenAIStandin;
beforeAll(async () => { openai = await startOpenAIStandin(); });
afterAll(async () => { await openai.close(); });
beforeEach(() => openai.reset());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timed: Array<{ name: string; start: number; end: number }> = [];
const slowTool = (name: string, ms: number) => defineTool({
  name, description: `waits ${ms} ms`, schema: z.object({}), readOnly: true,
  run: async () => { const start = Date.now(); await sleep(ms); timed.push({ name, start, end: Date.now() }); return `${name} done`; },
});
const extraTools: ToolDefinition[] = [
  calculatorTool, slowTool('slow_a', 300), slowTool('slow_b', 300),
  defineTool({ name: 'hang', description: 'never answers', schema: z.object({}), readOnly: true, run: () => new Promise(() => {}) }),
  defineTool({ name: 'big', description: 'a long result', schema: z.object({}), readOnly: true, run: async () => 'x'.repeat(5000) }),
  defineTool({ name: 'broken', description: 'fails', schema: z.object({}), readOnly: true, run: async () => { throw new ToolError('TOOL_FAILED', 'the backend said 500'); } }),
  defineTool({ name: 'deploy', description: 'deploys (a side effect)', schema: z.object({ env: z.string() }), readOnly: false, run: async ({ env }) => `deployed to ${env}` }),
];

function agent(tools: string[], maxRounds = 4) {
  return new UniversalAgent(agentConfig({ tools }), {
    models: standinModels(openai.baseURL), defaultModel: 'gpt-4o-mini', maxRetries: 0, logger, baseDelayMs: 10,
    tools: {
      registry: new ToolRegistry(new Map(extraTools.map((t) => [t.name, t]))), maxRounds,
      executor: { timeoutMs: 400, resultMaxChars: 1000, approvalTimeoutMs: 1000, logger },
    },
  });
}
function context(overrides: Partial<ToolContext> = {}): { context: ToolContext; records: ToolCallRecord[] } {
  const records: ToolCallRecord[] = [];
  return { records, context: { runId: 'r1', workspaceId: 'T1', userId: 'U1', surface: 'test', onToolCall: async (r) => { records.push(r); }, ...overrides } };
}
const deadline = () => Date.now() + 10_000;

describe('fast path', () => {
  test('an agent with tools whose first reply calls none makes exactly one model call', async () => {
    openai.enqueue({ text: 'Hello!' });
    const result = await agent(['calculator']).run({ meter: memoryMeter(), text: 'hi', deadline: deadline() });
    expect(openai.requests).toHaveLength(1);
    expect(toolNames(openai.requests[0]!)).toEqual(['calculator']);
    expect(result).toMatchObject({ text: 'Hello!', modelCalls: 1, toolsUsed: [] });
    expect(result.rounds).toHaveLength(1);
  });

  test('an agent with no tools sends no tools and gets no rounds', async () => {
    openai.enqueue({ text: 'Plain.' });
    const result = await agent([]).run({ meter: memoryMeter(), text: 'hi', deadline: deadline() });
    expect(openai.requests[0]!.body.tools).toBeUndefined();
    expect(result.rounds).toBeUndefined();
  });
});

describe('the loop', () => {
  test('independent calls of one round run concurrently; results return as role:"tool" messages; tokens of every round are summed', async () => {
    timed.length = 0;
    openai.enqueue({ toolCalls: [{ name: 'slow_a', arguments: {} }, { name: 'slow_b', arguments: {} }], usage: { prompt_tokens: 100, completion_tokens: 10 } },
      { text: 'Both done.', usage: { prompt_tokens: 150, completion_tokens: 5 } });
    const { context: ctx, records } = context();
    const result = await agent(['slow_a', 'slow_b']).run({ meter: memoryMeter(), text: 'do both', deadline: deadline(), tools: ctx });
    const [a, b] = timed;
    expect(a!.start < b!.end && b!.start < a!.end).toBe(true); // overlapping
    expect(toolMessages(openai.requests[1]!).map((m) => m.tool_call_id)).toEqual(openai.requests[1]!.body.messages.find((m: any) => m.tool_calls).tool_calls.map((c: any) => c.id));
    expect(result).toMatchObject({ text: 'Both done.', tokensIn: 250, tokensOut: 15, modelCalls: 2, toolsUsed: ['slow_a', 'slow_b'] });
    expect(result.rounds?.map((r) => r.tokensIn)).toEqual([100, 150]);
    expect(records.map((r) => [r.name, r.status])).toEqual([['slow_a', 'ok'], ['slow_b', 'ok']]);
  });

  test('a timeout, a failure, an oversized result and bad JSON each give the model an error or note it can work with', async () => {
    openai.enqueue({ toolCalls: [{ name: 'hang', arguments: {} }, { name: 'broken', arguments: {} }, { name: 'big', arguments: {} }, { name: 'calculator', arguments: '{"expression": ' }] },
      { text: 'Partial answer.' });
    const { context: ctx, records } = context();
    const result = await agent(['hang', 'broken', 'big', 'calculator']).run({ meter: memoryMeter(), text: 'go', deadline: deadline(), tools: ctx });
    expect(result.text).toBe('Partial answer.');
    const contents = toolMessages(openai.requests[1]!).map((m) => m.content);
    expect(contents[0]).toMatch(/Error \(TOOL_TIMEOUT\): the tool gave no result within 400 ms/);
    expect(contents[1]).toMatch(/Error \(TOOL_FAILED\): the backend said 500/);
    expect(contents[2]).toMatch(/\[Result truncated: showing the first 1000 of 5000 characters\.\]/);
    expect(contents[3]).toMatch(/TOOL_INPUT_INVALID.*not valid JSON/);
    // Recorded as each call ends (concurrently), so in completion order.
    expect(records.map((r) => [r.name, r.status, r.errorClass]).sort()).toEqual([
      ['big', 'ok', undefined], ['broken', 'error', 'TOOL_FAILED'], ['calculator', 'error', 'TOOL_INPUT_INVALID'], ['hang', 'timeout', 'TOOL_TIMEOUT'],
    ]);
    expect(records.find((r) => r.name === 'big')).toMatchObject({ resultBytes: 5000, detail: { truncated: true } });
  });

  test('a model that keeps calling tools stops at the cap with an honest answer', async () => {
    openai.setResponder(() => ({ toolCalls: [{ name: 'calculator', arguments: { expression: '1+1' } }] }));
    const result = await agent(['calculator'], 2).run({ meter: memoryMeter(), text: 'loop forever', deadline: deadline() });
    expect(openai.requests).toHaveLength(3); // two rounds of calls, then one last call without tools
    expect(openai.requests[2]!.body.tool_choice).toBe('none');
    expect(openai.requests[2]!.body.messages.at(-1)).toMatchObject({ role: 'system', content: expect.stringMatching(/used all 2 rounds of tool calls/) });
    expect(result.text).toMatch(/I could not finish: I reached the limit of 2 rounds of tool calls/);
    expect(result.notices).toEqual([expect.stringMatching(/I stopped after 2 rounds of tool calls/)]);
    expect(result.rounds).toHaveLength(3);
  });

  test('at the cap a model that answers keeps its answer, with the notice', async () => {
    openai.enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '6*7' } }] }, { text: 'It is 42 so far.' });
    const result = await agent(['calculator'], 1).run({ meter: memoryMeter(), text: 'compute', deadline: deadline() });
    expect(result.text).toBe('It is 42 so far.');
    expect(result.notices?.[0]).toMatch(/stopped after 1 rounds?/);
  });

  test('streamed rounds: each round\'s text follows the last after a blank line, and the result text is what was shown', async () => {
    openai.enqueue({ toolCalls: [{ name: 'calculator', arguments: { expression: '2+2' } }] }, { text: 'The answer is 4.' });
    let shown = '';
    const result = await agent(['calculator']).run({ meter: memoryMeter(), text: 'sum', deadline: deadline(), onToken: (t) => { shown += t; } });
    expect(shown).toBe('The answer is 4.');
    expect(result.text).toBe(shown);
    expect(toolMessages(openai.requests[1]!)[0].content).toContain('2+2 = 4');
  });

  test('a side-effecting tool with no way to ask for approval (e.g. a goal task) is not run', async () => {
    openai.enqueue({ toolCalls: [{ name: 'deploy', arguments: { env: 'prod' } }] }, { text: 'I could not deploy.' });
    const { context: ctx, records } = context();
    await agent(['deploy']).run({ meter: memoryMeter(), text: 'deploy', deadline: deadline(), tools: ctx });
    expect(toolMessages(openai.requests[1]!)[0].content).toMatch(/cannot be asked here, so it was not run/);
    expect(records).toEqual([expect.objectContaining({ name: 'deploy', status: 'denied' })]);
  });

  test('approval time does not count against the request deadline', async () => {
    openai.enqueue({ toolCalls: [{ name: 'deploy', arguments: { env: 'staging' } }] }, { text: 'Deployed.' });
    const asked: ApprovalRequest[] = [];
    const { context: ctx } = context({ requestApproval: async (request) => { asked.push(request); await sleep(700); return 'approved'; } });
    // 500 ms of deadline, 700 ms spent waiting for the human: the second model call still happens.
    const result = await agent(['deploy']).run({ meter: memoryMeter(), text: 'deploy', deadline: Date.now() + 500, tools: ctx });
    expect(asked[0]).toMatchObject({ tool: 'deploy', args: { env: 'staging' }, userId: 'U1', timeoutMs: 1000 });
    expect(result.text).toBe('Deployed.');
    expect(toolMessages(openai.requests[1]!)[0].content).toContain('deployed to staging');
  });

  test('a tool the config does not grant is not offered, and a call to it is refused without running', async () => {
    openai.enqueue({ toolCalls: [{ name: 'deploy', arguments: { env: 'prod' } }] }, { text: 'ok' });
    const { context: ctx, records } = context({ requestApproval: async () => 'approved' });
    await agent(['calculator']).run({ meter: memoryMeter(), text: 'x', deadline: deadline(), tools: ctx });
    expect(toolNames(openai.requests[0]!)).toEqual(['calculator']);
    expect(toolMessages(openai.requests[1]!)[0].content).toMatch(/TOOL_UNKNOWN.*no tool named deploy/);
    expect(records).toEqual([expect.objectContaining({ name: 'deploy', status: 'error', errorClass: 'TOOL_UNKNOWN' })]);
  });
});
