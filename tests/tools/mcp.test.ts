import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { mcpStdioCommand, startHttpMcpServer, type HttpMcpServer } from '../fakes/mcp-server.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { ask, isAgentRequest, saveAgent, script, toolMessages, toolNames } from './helpers.js';

// MCP servers from configuration, end to end: real MCP servers built with the official SDK — a child
// process over stdio and a streamable HTTP server — listed in an MCP_CONFIG file, their tools granted to a
// specialist as server__tool / server__*, called with the model's arguments; killed mid-run, they become
// unavailable with a clear message while the bot keeps answering, and are reconnected later.
let h: Harness;
let http: HttpMcpServer;
let dir: string;
const callsFile = () => join(dir, 'calls.jsonl');
const stdioCalls = () => readFileSync(callsFile(), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const health = async () => (await fetch(`${h.url}/health`)).json() as Promise<any>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mcp-e2e-'));
  writeFileSync(callsFile(), '');
  http = await startHttpMcpServer();
  writeFileSync(join(dir, 'mcp.json'), JSON.stringify({
    mcpServers: {
      ops: { ...mcpStdioCommand(), env: { MCP_PID_FILE: join(dir, 'pid'), MCP_CALLS_FILE: callsFile(), OPS_TOKEN: '${OPS_TOKEN}' }, readOnly: ['lookup_ticket', 'slow_report'] },
      wiki: { url: http.url, headers: { Authorization: 'Bearer ${WIKI_TOKEN}' }, readOnly: true },
    },
  }));
  h = await startHarness({
    SLACK_STREAMING: 'off', MCP_CONFIG: join(dir, 'mcp.json'), OPS_TOKEN: 'ops-secret-123', WIKI_TOKEN: 'wiki-secret-456',
    MCP_RETRY_SECONDS: '1', MODEL_MAX_RETRIES: '0',
  });
  await saveAgent(h, 'zebra-ops', 'zebra', ['ops__*', 'wiki__lookup_ticket', 'wiki__slow_report']);
  await eventually(async () => { const b = await health(); return b.mcp?.ops?.state === 'up' && b.mcp?.wiki?.state === 'up'; }, 20_000);
});
afterAll(async () => { await h?.close(); await http?.close(); });
beforeEach(() => { h.openai.reset(); });

describe('MCP tools', () => {
  test('/health lists each server with its state and tools; optional servers never make it 503', async () => {
    const response = await fetch(`${h.url}/health`);
    expect(response.status).toBe(200);
    expect((await response.json() as any).mcp).toMatchObject({
      ops: { state: 'up', transport: 'stdio', tools: 4, required: false }, wiki: { state: 'up', transport: 'http', tools: 4, required: false },
    });
  });

  test('stdio: the granted tools are offered as server__tool and called with the model\'s arguments', async () => {
    script(h, 'zebra-ops', (n) => (n === 0 ? { toolCalls: [{ name: 'ops__lookup_ticket', arguments: { id: 'T-42' } }] } : { text: 'T-42 is open and owned by Ada.' }));
    const { run, answer } = await ask(h, 'zebra: what is the status of ticket T-42?');
    expect(answer).toContain('T-42 is open and owned by Ada.');
    const [first, second] = h.openai.requests.filter(isAgentRequest);
    expect(toolNames(first!).sort()).toEqual(['ops__lookup_ticket', 'ops__poisoned_page', 'ops__restart_service', 'ops__slow_report', 'wiki__lookup_ticket', 'wiki__slow_report']);
    expect(stdioCalls()).toContainEqual({ tool: 'lookup_ticket', args: { id: 'T-42' } });
    expect(toolMessages(second!)[0].content).toContain('Ticket T-42: status open, owner Ada Lovelace');
    expect(run.steps.find((s) => s.kind === 'tool')).toMatchObject({ name: 'ops__lookup_ticket', status: 'ok', detail: expect.objectContaining({ server: 'ops' }) });
  });

  test('streamable HTTP: called with the model\'s arguments and the configured header from the environment', async () => {
    script(h, 'zebra-ops', (n) => (n === 0 ? { toolCalls: [{ name: 'wiki__lookup_ticket', arguments: { id: 'T-7' } }] } : { text: 'T-7 is open.' }));
    const { answer } = await ask(h, 'zebra: look up ticket T-7 in the wiki');
    expect(answer).toContain('T-7 is open.');
    expect(http.calls).toContainEqual({ tool: 'lookup_ticket', args: { id: 'T-7' } });
    expect(http.authorizations.at(-1)).toBe('Bearer wiki-secret-456');
  });

  test('the stdio server killed mid-run: a clear message, the next request is served, and the server comes back', async () => {
    script(h, 'zebra-ops', (n) => (n === 0 ? { toolCalls: [{ name: 'ops__slow_report', arguments: { seconds: 20 } }] } : { text: 'The report could not be built.' }));
    const pending = ask(h, 'zebra: build the weekly report', { timeoutMs: 20_000 });
    await eventually(() => stdioCalls().some((c) => c.tool === 'slow_report'), 10_000);
    process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8')), 'SIGKILL');
    const { run, answer } = await pending;
    expect(run.status).toBe('succeeded');
    expect(answer).toContain('The report could not be built.');
    expect(answer).toMatch(/The .ops. tools stopped responding, so I answered without them/);
    const [toolMessage] = toolMessages(h.openai.requests.filter(isAgentRequest)[1]!);
    expect(toolMessage.content).toMatch(/TOOL_UNAVAILABLE.*the MCP server "ops" stopped responding/);
    expect(run.steps.find((s) => s.kind === 'tool')).toMatchObject({ status: 'error', errorClass: 'TOOL_UNAVAILABLE' });

    h.openai.reset();
    script(h, 'zebra-ops', () => ({ text: 'Still here.' }));
    const next = await ask(h, 'zebra: are you still there?');
    expect(next.run.status).toBe('succeeded');
    expect(next.answer).toContain('Still here.');
    // Retried with back-off (MCP_RETRY_SECONDS=1): a new process, tools back.
    await eventually(async () => (await health()).mcp.ops.state === 'up', 15_000);
  });

  test('the HTTP server killed mid-run: a clear message; while it is down its tools are withheld and the user told; it reconnects', async () => {
    script(h, 'zebra-ops', (n) => (n === 0 ? { toolCalls: [{ name: 'wiki__slow_report', arguments: { seconds: 20 } }] } : { text: 'No report, sorry.' }));
    const pending = ask(h, 'zebra: build the wiki report', { timeoutMs: 20_000 });
    await eventually(() => http.calls.some((c) => c.tool === 'slow_report'), 10_000);
    await http.kill();
    const first = await pending;
    expect(first.answer).toMatch(/The .wiki. tools stopped responding/);
    expect(first.run.steps.find((s) => s.kind === 'tool')).toMatchObject({ errorClass: 'TOOL_UNAVAILABLE' });

    h.openai.reset();
    script(h, 'zebra-ops', () => ({ text: 'Answered without the wiki.' }));
    const next = await ask(h, 'zebra: anything new?');
    expect(next.answer).toContain('Answered without the wiki.');
    expect(next.answer).toMatch(/The .wiki. tools are unavailable right now/);
    const [request] = h.openai.requests.filter(isAgentRequest);
    expect(toolNames(request!).some((n) => n.startsWith('wiki__'))).toBe(false);
    expect(request!.body.messages[0].content).toMatch(/Unavailable right now: wiki__lookup_ticket \(the MCP server "wiki" is (down|still starting)/);
    const during = await fetch(`${h.url}/health`);
    expect(during.status).toBe(200);
    expect(((await during.json()) as any).mcp.wiki.state).not.toBe('up');

    await http.restart();
    await eventually(async () => (await health()).mcp.wiki.state === 'up', 20_000);
  });
});
