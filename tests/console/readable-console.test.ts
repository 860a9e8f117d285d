import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';

// The real entry point (`node --import tsx src/main.ts`, as `npm start` runs the built one) in console mode,
// stdin piped, against the OpenAI stand-in, with failures that make the app log warnings while it streams.
let openai: OpenAIStandin;
let dataDir: string;
beforeAll(async () => {
  openai = await startOpenAIStandin();
  dataDir = mkdtempSync(join(tmpdir(), 'readable-console-'));
});
afterAll(async () => {
  await openai?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function runConsole(input: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      PATH: process.env.PATH ?? '', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL, DATA_DIR: dataDir,
      // A model without a price: the run log warns about it in the middle of every answer.
      DEFAULT_MODEL: 'local-unpriced', ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  child.stdin.end(input);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Lines that are JSON (a pino line is): a chat transcript must have none. */
const jsonLines = (text: string) => text.split('\n').filter((line) => {
  if (!line.trim()) return false;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
});
const logFile = () => join(dataDir, 'logs', 'improver.log');
const logLines = () => readFileSync(logFile(), 'utf8').trim().split('\n');

/** Per question: what the stand-in answers on each attempt (a failure first, then a good answer, or a refusal). */
function scriptModel() {
  const attempts = new Map<string, number>();
  openai.reset();
  openai.setResponder((req) => {
    const attempt = (attempts.get(req.lastUserMessage) ?? 0) + 1;
    attempts.set(req.lastUserMessage, attempt);
    switch (req.lastUserMessage) {
      case 'first question':
        return attempt === 1 ? { error: { status: 500, message: 'upstream exploded' } }
          : { text: '**Good** answer with `npm start`:\n- one *item*\n- two\n\nDone, _really_.' };
      case 'second question':
        return attempt === 1 ? { cutStreamAfterChunks: 4, text: 'this stream breaks in the middle of the answer, then starts again' }
          : { text: 'Second answer, complete.' };
      case 'third question':
        return { error: { status: 400, code: 'content_policy_violation', message: 'refused by policy' } };
      default:
        return { text: 'Fine.' };
    }
  });
}

describe('a console a person can read', () => {
  test('first start: progress lines, the log path once, logs only in the file, mrkdwn rendered, the chart saved', async () => {
    scriptModel();
    const { code, stdout, stderr } = await runConsole('first question\nsecond question\nthird question\n/metrics\n');
    expect(code).toBe(0);

    // What the first start is doing, in order, on stderr.
    const logsAt = stderr.indexOf(`Logs: ${logFile()}`);
    const openingAt = stderr.indexOf(`Opening the database in ${dataDir} (first start: creating it, this takes a few seconds)…`);
    const readyAt = stderr.indexOf('Ready.\n');
    expect(logsAt).toBeGreaterThanOrEqual(0);
    expect(openingAt).toBeGreaterThan(logsAt);
    expect(readyAt).toBeGreaterThan(openingAt);
    expect(stderr.split('Logs: ').length - 1).toBe(1);

    // The chat transcript (stdout) and stderr carry no JSON; the answers are rendered, not raw markup.
    expect(jsonLines(stdout)).toEqual([]);
    expect(jsonLines(stderr)).toEqual([]);
    expect(stdout).toContain('Good answer with `npm start`:\n• one item\n• two\n\nDone, really.\n');
    expect(stdout).toContain('Second answer, complete.');
    expect(stdout).toMatch(/^Runs: 3 · /m); // the /metrics report's *Runs:*, in plain text on a pipe
    expect(stdout).not.toMatch(/\*\*|\*Runs|_really_/);

    // The log file has the JSON lines: the warnings logged during the answers, with their runId, once each.
    const lines = logLines();
    const parsed = lines.map((line) => JSON.parse(line) as { level: number; msg: string; runId?: string });
    for (const line of lines) expect(line.split('"runId"').length - 1).toBeLessThanOrEqual(1);
    const runIds = new Set(parsed.filter((l) => l.msg === 'serving decision').map((l) => l.runId));
    expect(runIds.size).toBe(3);
    const failed = parsed.find((l) => l.msg === 'request failed');
    expect(failed?.level).toBe(40);
    expect(runIds.has(failed?.runId)).toBe(true);
    const priceWarnings = parsed.filter((l) => /no price in the catalogue/.test(l.msg));
    expect(priceWarnings.length).toBeGreaterThan(0);
    for (const warning of priceWarnings) expect(runIds.has(warning.runId)).toBe(true);

    // /metrics: the chart is a PNG file under DATA_DIR/charts, and its path is printed.
    const saved = /chart saved to (.+\.png)$/m.exec(stdout)?.[1];
    expect(saved).toBeDefined();
    expect(dirname(saved!)).toBe(join(dataDir, 'charts'));
    expect(saved!).toMatch(/metrics-7d-\d{8}T\d{6}Z\.png$/);
    expect(readFileSync(saved!).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  }, 180_000);

  test('a later start with LOG_FORMAT=pretty: no "first start", readable log lines on stderr, still no JSON', async () => {
    expect(existsSync(logFile())).toBe(true); // from the first start
    const before = logLines().length;
    scriptModel();
    const { code, stdout, stderr } = await runConsole('third question\n', { LOG_FORMAT: 'pretty' });
    expect(code).toBe(0);
    expect(stderr).toContain(`Opening the database in ${dataDir}…\n`);
    expect(stderr).not.toContain('first start');
    expect(stderr).not.toContain('Logs: ');
    expect(stderr).toMatch(/WARN: request failed/);
    expect(stderr).toMatch(/runId: "[0-9a-f-]{36}"/);
    expect(jsonLines(stdout)).toEqual([]);
    expect(jsonLines(stderr)).toEqual([]);
    expect(logLines().length).toBe(before); // pretty logs go to stderr instead of the file
  }, 180_000);
});
