import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, test } from 'vitest';
import { McpManager } from '../../src/tools/mcp/mcp-manager.js';
import { ToolRegistry } from '../../src/tools/registry.js';
import { mcpStdioCommand, startHttpMcpServer, type HttpMcpServer } from '../fakes/mcp-server.js';
import { eventually } from '../support/harness.js';

// The MCP manager against real MCP servers built with the official SDK: a child process over stdio and a
// streamable HTTP server. Tools are named server__tool; a dead server is marked down and retried.
const logger = pino({ level: 'silent' });
let manager: McpManager | undefined;
let http: HttpMcpServer | undefined;
afterEach(async () => { await manager?.close(); await http?.close(); manager = undefined; http = undefined; });

test('stdio and streamable HTTP servers: tools named server__tool, called with the given arguments', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-'));
  http = await startHttpMcpServer();
  manager = new McpManager([
    { name: 'ops', kind: 'stdio', ...mcpStdioCommand(), env: { MCP_CALLS_FILE: join(dir, 'calls') }, readOnly: ['lookup_ticket'], required: false },
    { name: 'wiki', kind: 'http', url: http.url, readOnly: true, required: false },
  ], { logger, connectTimeoutMs: 15_000, retryMs: 60_000 });
  await manager.start();
  expect(manager.status()).toMatchObject({ ops: { state: 'up', transport: 'stdio', tools: 4 }, wiki: { state: 'up', transport: 'http', tools: 4 } });
  const registry = new ToolRegistry(new Map(), new Map(), manager);
  const { tools, unavailable } = registry.resolve(['ops__lookup_ticket', 'ops__restart_service', 'wiki__*', 'nope__x']);
  expect(tools.map((t) => t.name)).toEqual(['ops__lookup_ticket', 'ops__restart_service', 'wiki__lookup_ticket', 'wiki__slow_report', 'wiki__restart_service', 'wiki__poisoned_page']);
  expect(tools.map((t) => t.readOnly)).toEqual([true, false, true, true, true, true]);
  expect(unavailable).toEqual([expect.objectContaining({ grant: 'nope__x' })]);
  const signal = new AbortController().signal;
  expect(await tools[0]!.run({ id: 'T-42' }, { signal })).toMatch(/Ticket T-42: status open/);
  expect(readFileSync(join(dir, 'calls'), 'utf8')).toContain('{"tool":"lookup_ticket","args":{"id":"T-42"}}');
  expect(await tools[2]!.run({ id: 'T-7' }, { signal })).toMatch(/Ticket T-7/);
  expect(http.calls).toEqual([{ tool: 'lookup_ticket', args: { id: 'T-7' } }]);
});

test('a server that cannot start is down with its reason, and retried', async () => {
  manager = new McpManager([{ name: 'broken', kind: 'stdio', command: process.execPath, args: ['-e', 'process.exit(3)'], readOnly: false, required: true }],
    { logger, connectTimeoutMs: 5000, retryMs: 200 });
  await manager.start();
  const status = manager.status().broken!;
  expect(status).toMatchObject({ state: 'down', required: true });
  expect(status.error).toMatch(/could not connect/);
  expect(await manager.requiredChecks()['mcp:broken']!()).toBe(false);
  // Retried with back-off: the state goes through starting again.
  await eventually(() => manager!.status().broken!.since !== status.since, 5000);
});

test('an HTTP server that dies is marked down, and comes back after a restart', async () => {
  http = await startHttpMcpServer();
  manager = new McpManager([{ name: 'wiki', kind: 'http', url: http.url, readOnly: true, required: false }], { logger, connectTimeoutMs: 5000, retryMs: 300 });
  await manager.start();
  const tool = new ToolRegistry(new Map(), new Map(), manager).resolve(['wiki__lookup_ticket']).tools[0]!;
  await http.kill();
  const error = await tool.run({ id: 'T-1' }, { signal: new AbortController().signal }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'TOOL_UNAVAILABLE' });
  expect(manager.status().wiki!.state).toBe('down');
  await http.restart();
  await eventually(() => manager!.status().wiki!.state === 'up', 10_000);
});
