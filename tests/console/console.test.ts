import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { pgliteStore } from '../support/stores.js';

let openai: OpenAIStandin;
beforeAll(async () => { openai = await startOpenAIStandin(); });
afterAll(async () => { await openai?.close(); });

const collect = (stream: PassThrough) => {
  let text = '';
  stream.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
  return () => text;
};

describe('console mode (in process)', () => {
  test('piped lines are answered in order with the same orchestrator; the run log records them', async () => {
    openai.reset();
    openai.enqueue({ text: 'First answer.' }, { text: 'Second answer.' });
    const input = new PassThrough();
    const output = new PassThrough();
    const status = new PassThrough();
    const out = collect(output);
    const store = await pgliteStore();
    const config = loadConfig({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL });
    const app = await startApp(config, { logger: pino({ level: 'silent' }), store, console: { input, output, status, interactive: false } });
    input.end('first question\n\n/agents\nsecond question\n');
    await app.finished;
    const text = out();
    expect(text.indexOf('First answer.')).toBeGreaterThanOrEqual(0);
    expect(text.indexOf('Second answer.')).toBeGreaterThan(text.indexOf('First answer.'));
    expect(text).toMatch(/summarizer \(v1\)/);
    expect(openai.requests.map((r) => r.lastUserMessage)).toEqual(['first question', 'second question']);
    // The second request carries the first exchange as history.
    expect(JSON.stringify(openai.requests[1]!.body.messages)).toContain('First answer.');
  });

  test('with no model configured it explains how to set one and still serves commands', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const status = new PassThrough();
    const out = collect(output);
    const err = collect(status);
    const app = await startApp(loadConfig({}), { logger: pino({ level: 'silent' }), store: await pgliteStore(), console: { input, output, status, interactive: false } });
    input.end('/help\nhello?\n/bogus\n');
    await app.finished;
    expect(err()).toMatch(/OPENAI_API_KEY[\s\S]*OPENAI_BASE_URL/);
    expect(out()).toMatch(/\/agents/);
    expect(out()).toMatch(/OPENAI_API_KEY|OPENAI_BASE_URL/); // the answer to "hello?" says how to configure a model
    expect(out()).toMatch(/Unknown command \/bogus/);
  });
});

describe('console goals', () => {
  test('a goal shows the same progress in the console and ends with one answer', async () => {
    openai.reset();
    openai.setResponder((req) => {
      if (req.body.response_format?.json_schema?.name === 'plan') {
        return { json: { title: 'Launch kit', tasks: [
          { id: 'a', title: 'Research', instructions: 'research', specialty: 'research', depends_on: [], level: 'tactical', done_when: 'done' },
          { id: 'b', title: 'Draft', instructions: 'draft', specialty: 'writing', depends_on: ['a'], level: 'operational', done_when: 'done' },
        ] } };
      }
      if (req.lastUserMessage.startsWith('Combine these task results')) return { text: 'The launch kit, combined.' };
      return { text: 'task result' };
    });
    const input = new PassThrough();
    const output = new PassThrough();
    const status = new PassThrough();
    const out = collect(output);
    const err = collect(status);
    const app = await startApp(loadConfig({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL }),
      { logger: pino({ level: 'silent' }), store: await pgliteStore(), console: { input, output, status, interactive: false } });
    input.end('plan: research the market then draft the launch kit\n');
    await app.finished;
    expect(err()).toMatch(/\[Launch kit\] ▓+░* 1\/2/);
    expect(err()).toMatch(/\[Launch kit\] ▓{10} 2\/2/);
    expect(out()).toContain('The launch kit, combined.');
  });
});

describe('console mode (the real entry point, stdin piped)', () => {
  test('`node src/main.ts` answers piped stdin on an embedded database and exits 0', async () => {
    openai.reset();
    openai.enqueue({ text: 'Hello from the model.' });
    const dataDir = mkdtempSync(join(tmpdir(), 'console-data-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { PATH: process.env.PATH ?? '', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL, DATA_DIR: dataDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
      child.stdin.end('hi there\n');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(stderr).not.toMatch(/Fatal|Error/);
      expect(code).toBe(0);
      expect(stdout).toContain('Hello from the model.');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
