import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startHttpMcpServer, type HttpMcpServer } from '../fakes/mcp-server.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { eventually } from '../support/harness.js';
import { pgliteStore } from '../support/stores.js';
import { LONG_PROMPT } from '../agents/helpers.js';

// Console mode asks for approval with a y/n prompt: the answer is the next input line, read by the same
// reader as chat messages (so piped input works, and a line typed after a timeout is not lost).
let openai: OpenAIStandin;
let ops: HttpMcpServer;
let mcpConfig: string;
beforeAll(async () => {
  openai = await startOpenAIStandin();
  ops = await startHttpMcpServer();
  mcpConfig = join(mkdtempSync(join(tmpdir(), 'console-mcp-')), 'mcp.json');
  writeFileSync(mcpConfig, JSON.stringify({ mcpServers: { ops: { url: ops.url, readOnly: ['lookup_ticket'] } } }));
});
afterAll(async () => { await openai?.close(); await ops?.close(); });

async function consoleApp(env: Record<string, string> = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  const status = new PassThrough();
  let said = '';
  status.on('data', (c: Buffer) => { said += c.toString('utf8'); });
  const store = await pgliteStore();
  await store.agents.save({ agentId: 'zebra-ops', specialty: 'zebra operations', description: 'zebra operations: zebra services and zebra restarts.',
    systemPrompt: LONG_PROMPT, tools: ['ops__*'] });
  const config = loadConfig({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL, MCP_CONFIG: mcpConfig, ...env });
  const app: RunningApp = await startApp(config, { logger: pino({ level: 'silent' }), store, console: { input, output, status, interactive: false } });
  await eventually(() => app.tools.mcp.status().ops?.state === 'up', 10_000);
  return { app, input, said: () => said };
}

const restarts = () => ops.calls.filter((c) => c.tool === 'restart_service').length;

test('y runs the tool once; n does not run it', async () => {
  openai.reset();
  let n = 0;
  openai.setResponder(() => (n++ % 2 === 0 ? { toolCalls: [{ name: 'ops__restart_service', arguments: { service: 'billing' } }] } : { text: 'Handled.' }));
  const before = restarts();
  const { app, input, said } = await consoleApp();
  input.end('zebra: restart billing\ny\nzebra: restart billing again\nn\n');
  await app.finished;
  expect(said()).toContain('The assistant wants to run ops__restart_service with:\n{\n  "service": "billing"\n}');
  expect(said()).toMatch(/Approved\.[\s\S]*Not approved; it was not run\./);
  expect(restarts()).toBe(before + 1);
  expect(openai.requests.filter((r) => (r.body.messages as any[]).some((m) => m.role === 'tool' && /denied this call/.test(m.content)))).toHaveLength(1);
});

test('no answer in time: timeout, and the next line is a chat message again', async () => {
  openai.reset();
  let n = 0;
  openai.setResponder((req) => {
    if (req.lastUserMessage.includes('status')) return { text: 'All green.' };
    return n++ === 0 ? { toolCalls: [{ name: 'ops__restart_service', arguments: { service: 'search' } }] } : { text: 'Waited for you.' };
  });
  const before = restarts();
  const { app, input, said } = await consoleApp({ APPROVAL_TIMEOUT_SECONDS: '1' });
  input.write('zebra: restart search\n');
  await eventually(() => said().includes('No answer in time; it was not run.'), 10_000);
  input.end('zebra: status please\n');
  await app.finished;
  expect(restarts()).toBe(before);
  expect(openai.requests.map((r) => r.lastUserMessage)).toContain('zebra: status please');
});
