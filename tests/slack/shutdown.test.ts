import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { mentionEvent, postEvent } from '../fakes/slack-events.js';
import { startSlackStandin, type SlackStandin } from '../fakes/slack-standin.js';
import { freePort } from '../support/postgres-server.js';
import { eventually } from '../support/harness.js';

// The real process in HTTP mode: SIGTERM while an answer is in flight → the answer is still delivered (it
// finishes within the grace period), no new work is taken, and the process exits 0 within 10 s.
let slack: SlackStandin;
let openai: OpenAIStandin;
beforeAll(async () => {
  slack = await startSlackStandin();
  slack.addChannel({ id: 'C1', name: 'general', members: ['U1', slack.botUserId] });
  openai = await startOpenAIStandin({ latencyMs: 1500 });
});
afterAll(async () => { await Promise.all([slack?.close(), openai?.close()]); });

test('SIGTERM during a run: the run finishes, the process exits 0 within 10 s', async () => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'shutdown-data-'));
  const secret = 'shutdown-secret-123456';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: secret, SLACK_API_URL: slack.apiUrl,
      SLACK_STREAMING: 'off', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL, PORT: String(port), DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (c: Buffer) => { logs += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { logs += c.toString(); });
  try {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, 30_000);
    const event = mentionEvent({ text: 'slow question', user: 'U1', channel: 'C1' });
    expect((await postEvent(`http://127.0.0.1:${port}/slack/events`, secret, event)).status).toBe(200);
    await eventually(() => openai.requests.length === 1);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(code).toBe(0);
    expect(slack.messages('C1').some((m) => m.thread_ts === event.event.ts && /Answer:/.test(m.text ?? ''))).toBe(true);
    expect(logs).toMatch(/in-flight runs settled/);
    expect(logs).not.toContain('xoxb-test');
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);
