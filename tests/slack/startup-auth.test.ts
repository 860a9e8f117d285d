import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mentionEvent } from '../fakes/slack-events.js';
import { startSocketModeStandin, type SocketModeStandin } from '../fakes/slack-socket-standin.js';
import { startSlackStandin, type SlackStandin } from '../fakes/slack-standin.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

const BOT_TOKEN = 'xoxb-1111-2222-startupcheck';

/**
 * The real entry point (`node --import tsx src/main.ts`, as tests/config/exit-status.test.ts runs it), asynchronously:
 * the Slack stand-in answers from this process, so its event loop must keep running while the child starts.
 */
async function runMain(env: Record<string, string>, timeoutMs = 25_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'startup-auth-'));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', SLACK_BOT_TOKEN: BOT_TOKEN, ...env },
      cwd: process.cwd(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    clearTimeout(timer);
    return { status, stdout, stderr };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** No stack frame ("    at f (file:1:2)") and no serialized stack anywhere in what the person starting the app sees. */
function expectNoStack(output: string): void {
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(output).not.toContain('"stack"');
}

describe('a token Slack refuses at start: exit status 2, the variable and what Slack said, no stack', () => {
  let slack: SlackStandin;
  let socket: SocketModeStandin;
  beforeAll(async () => {
    slack = await startSlackStandin();
    socket = await startSocketModeStandin(slack);
  });
  afterAll(async () => {
    await socket?.close();
    await slack?.close();
  });

  test('HTTP mode, auth.test answers invalid_auth', async () => {
    slack.override('auth.test', () => ({ ok: false, error: 'invalid_auth' }));
    try {
      const result = await runMain({ SLACK_SIGNING_SECRET: 'startup-signing-secret-0123456789', SLACK_API_URL: slack.apiUrl });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/Slack refused SLACK_BOT_TOKEN: auth\.test answered "invalid_auth"/);
      expect(slack.callsTo('auth.test').length).toBeGreaterThan(0); // checked through SLACK_API_URL, i.e. the stand-in
      expectNoStack(result.stderr + result.stdout);
      expect(result.stderr + result.stdout).not.toContain(BOT_TOKEN);
    } finally {
      slack.clearOverride('auth.test');
    }
  });

  test('Socket Mode, apps.connections.open answers token_revoked (which the Socket Mode client would retry forever)', async () => {
    slack.override('apps.connections.open', () => ({ ok: false, error: 'token_revoked' }));
    try {
      const started = Date.now();
      const result = await runMain({ SLACK_APP_TOKEN: 'xapp-1-A000-startupcheck', SLACK_API_URL: slack.apiUrl });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/Slack refused SLACK_APP_TOKEN: apps\.connections\.open answered "token_revoked"/);
      expect(result.stderr).not.toMatch(/SLACK_BOT_TOKEN/); // the bot token passed auth.test
      expectNoStack(result.stderr + result.stdout);
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      slack.clearOverride('apps.connections.open');
    }
  });

  test('no connection to SLACK_API_URL (a closed port): exit status 1, SLACK_API_URL and ECONNREFUSED named', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const result = await runMain({ SLACK_SIGNING_SECRET: 'startup-signing-secret-0123456789', SLACK_API_URL: `http://127.0.0.1:${port}/api/` });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`Could not reach the Slack API at http://127\\.0\\.0\\.1:${port}/api/ \\(SLACK_API_URL\\).*ECONNREFUSED`));
    expectNoStack(result.stderr + result.stdout);
  });
});

describe('HTTP mode: the token is revoked while serving', () => {
  let h: Harness;
  const logs: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => { logs.push(JSON.parse(line)); } });
    h = await startHarness({ SLACK_STREAMING: 'off' }, { logger });
  });
  afterAll(async () => { await h?.close(); });

  const health = async () => {
    const response = await fetch(`${h.url}/health`);
    return { status: response.status, body: await response.json() as Record<string, any> };
  };
  const refusalLines = () => logs.filter((l) => l.msg.startsWith('Slack no longer accepts SLACK_BOT_TOKEN'));

  test('/health turns 503 with the reason, logged once however many requests fail; a working token clears it', async () => {
    expect((await health()).status).toBe(200);

    h.slack.refuseTokens('token_revoked');
    for (const text of ['first after revocation', 'second after revocation', 'third after revocation']) {
      const event = mentionEvent({ text, user: 'U1', channel: 'C1' });
      expect((await h.send(event)).status).toBe(200);
      // Settled when the stand-in has refused a call made for this request and the run is over.
      await eventually(() => h.slack.calls.some((c) => c.response?.error === 'token_revoked' && JSON.stringify(c.args).includes(event.event.ts)));
      await h.settled();
    }
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({
      status: 'unavailable', checks: { slack: false, store: true },
      slack: { reason: 'token_revoked', variable: 'SLACK_BOT_TOKEN', method: expect.any(String), since: expect.any(String) },
    });
    expect(refusalLines()).toHaveLength(1);
    expect(refusalLines()[0]).toMatchObject({ level: 50, variable: 'SLACK_BOT_TOKEN', slackError: 'token_revoked' });

    h.slack.refuseTokens(undefined);
    const event = mentionEvent({ text: 'token replaced', user: 'U1', channel: 'C1' });
    await h.send(event);
    await eventually(() => h.slack.messages('C1').some((m) => m.thread_ts === event.event.ts && /Answer:/.test(m.text ?? '')));
    expect((await health()).status).toBe(200);
    expect(logs.filter((l) => l.msg.startsWith('Slack accepts SLACK_BOT_TOKEN again'))).toHaveLength(1);
  });
});
