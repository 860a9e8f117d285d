import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { parseMcpConfig } from '../../src/config/mcp-config.js';

const file = (json: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), 'mcp-config-')), 'mcp.json');
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
};
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

test('defaults: 4 rounds, http_fetch off, no spawn grants, no MCP servers', () => {
  expect(loadConfig({}).tools).toMatchObject({
    maxRounds: 4, timeoutMs: 15_000, resultMaxChars: 8000, approvalTimeoutMs: 120_000, httpFetch: { allowlist: [] }, spawnAllowlist: [],
    slackRead: { maxMessages: 200, maxDays: 7 }, mcp: { servers: [] },
  });
});

test('lists are comma-separated; SPAWN_TOOL_ALLOWLIST feeds spawnSpecialist', () => {
  const tools = loadConfig({ HTTP_FETCH_ALLOWLIST: 'Docs.Example.com, status.example.com', SPAWN_TOOL_ALLOWLIST: 'calculator, ops__*' }).tools;
  expect(tools.httpFetch.allowlist).toEqual(['docs.example.com', 'status.example.com']);
  expect(tools.spawnAllowlist).toEqual(['calculator', 'ops__*']);
});

test('MCP_CONFIG: stdio and HTTP servers, ${VAR} from the environment, header and env values kept as secrets', () => {
  const path = file({ mcpServers: {
    ops: { command: 'node', args: ['server.js', '--region=${REGION}'], env: { API_KEY: '${OPS_KEY}' }, readOnly: ['status'], required: true },
    docs: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${DOCS_TOKEN}' }, readOnly: true, toolTimeoutMs: 5000 },
  } });
  const config = loadConfig({ MCP_CONFIG: path, REGION: 'eu', OPS_KEY: 'ops-key-123456', DOCS_TOKEN: 'docs-token-7890' });
  expect(config.tools.mcp.servers).toEqual([
    { name: 'ops', kind: 'stdio', command: 'node', args: ['server.js', '--region=eu'], env: { API_KEY: 'ops-key-123456' }, readOnly: ['status'], required: true },
    { name: 'docs', kind: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer docs-token-7890' }, readOnly: true, required: false, toolTimeoutMs: 5000 },
  ]);
  expect(config.secrets).toEqual(expect.arrayContaining(['ops-key-123456', 'docs-token-7890']));
});

test('a broken MCP_CONFIG stops the app with a message naming the problem, never a secret', () => {
  expect(problems({ MCP_CONFIG: '/nonexistent/mcp.json' })).toEqual([expect.objectContaining({ variable: 'MCP_CONFIG', problem: expect.stringMatching(/does not exist/) })]);
  expect(problems({ MCP_CONFIG: file('{not json') })[0]?.problem).toMatch(/not valid JSON/);
  expect(problems({ MCP_CONFIG: file({ mcpServers: { 'a__b': { command: 'x' } } }) })[0]?.problem).toMatch(/no "__"/);
  expect(problems({ MCP_CONFIG: file({ mcpServers: { ops: { url: 'https://x.example/mcp', headers: { Authorization: 'Bearer ${MISSING}' } } } }) })[0]?.problem)
    .toMatch(/server "ops" uses \$\{MISSING\}, which is not set/);
  expect(problems({ MCP_CONFIG: file({ mcpServers: { ops: { command: 'x', bogus: 1 } } }) })).toHaveLength(1);
});

test('parseMcpConfig accepts the common {"mcpServers": …} shape with no extras', () => {
  expect(parseMcpConfig({ mcpServers: { fs: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] } } }, {}).servers[0])
    .toMatchObject({ name: 'fs', kind: 'stdio', readOnly: false, required: false });
});
