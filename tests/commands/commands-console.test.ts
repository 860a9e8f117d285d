import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { storeWithSql } from './slack-helpers.js';

// The same commands in the console (npm start without Slack tokens): same handlers, same text.
let openai: OpenAIStandin;
beforeAll(async () => { openai = await startOpenAIStandin(); });
afterAll(async () => { await openai?.close(); });

test('/better, /save-workflow, /workflows and /metrics in the console', async () => {
  openai.enqueue({ text: 'Four.', usage: { prompt_tokens: 100, completion_tokens: 5 } });
  const { store, sql } = await storeWithSql();
  store.close = async () => {}; // the chat closes its store at the end; keep it open to check the rows
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  const dataDir = mkdtempSync(join(tmpdir(), 'commands-console-')); // where the console saves the /metrics chart
  const app = await startApp(loadConfig({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.baseURL, DATA_DIR: dataDir }), {
    logger: pino({ level: 'silent' }), store, console: { input, output, status: new PassThrough(), interactive: false },
  });
  input.end([
    '/better 4 nice', 'What is 2+2?', '/better 2 too slow please', '/better 9', '/save-workflow sums quick sums', '/save-workflow sums',
    '/workflows', '/metrics 7d', '/metrics 5d', '/workflows delete sums', '/help', '/metrics help',
  ].join('\n'));
  await app.finished;

  expect(out).toMatch(/I have not answered you in this conversation yet, so there is nothing to rate/);
  expect(out).toMatch(/Thanks — recorded 2\/5 and “too slow please” on the answer to “What is 2\+2\?” \(.+ UTC, `general`\)\. Filed an improvement proposal \(too slow\) for agent `general`\./);
  expect(out).toMatch(/The rating must be a whole number from 1 to 5 \(got `9`\)\.\n\n\/better \[1-5\]/);
  expect(out).toMatch(/Saved workflow `sums` \(1 task: general assistant\) from your request “What is 2\+2\?”/);
  expect(out).toMatch(/A workflow named `sums` already exists \(saved by console:\S+, 0 uses · no runs yet · no ratings\)/);
  expect(out).toMatch(/• `sums` \(saved\) — quick sums\n {4}1 task: general assistant · 0 uses · no runs yet · no ratings/);
  expect(out).toMatch(/Metrics — the last 7 days\nRuns: 1 · Success rate: 100\.0% \(1 of 1 finished\)\nLatency: p50 .+\nCost: \$0\.000\d+ total/);
  expect(out).toMatch(/Feedback: 1 · average rating 2\.00\/5 from 1 rating/);
  expect(out).toContain(`Metrics — the last 7 days — chart saved to ${join(dataDir, 'charts', 'metrics-7d-')}`);
  expect(out).toMatch(/`5d` is not a period I know/);
  expect(out).toMatch(/Deleted workflow `sums`\./);
  expect(out).toMatch(/Also: \/better, \/save-workflow, \/workflows, \/metrics/);

  const rows = await sql.query<{ rating: number; category: string; source: string }>('select rating, category, source from feedback');
  expect(rows).toEqual([{ rating: 2, category: 'too_slow', source: 'console' }]);

  // Every command is a run of its own (kind command), read-only ones marked cheap; bad arguments are refused runs.
  const runs = await sql.query<{ request_text: string; status: string; error_class: string | null; cheap: boolean; route: string; route_reason: string }>(
    `select request_text, status, error_class, (serving->>'cheap')::boolean as cheap, route, route_reason from runs where kind = 'command' order by started_at`);
  expect(runs.map((r) => [r.request_text, r.status, r.error_class, r.cheap])).toEqual([
    ['/better 4 nice', 'succeeded', null, false],
    ['/better 2 too slow please', 'succeeded', null, false],
    ['/better 9', 'refused', 'INPUT_INVALID', false],
    ['/save-workflow sums quick sums', 'succeeded', null, false],
    ['/save-workflow sums', 'succeeded', null, false],
    ['/workflows', 'succeeded', null, true],
    ['/metrics 7d', 'succeeded', null, true],
    ['/metrics 5d', 'refused', 'INPUT_INVALID', true],
    ['/workflows delete sums', 'succeeded', null, false],
    ['/metrics help', 'succeeded', null, true],
  ]);
  expect(runs.every((r) => r.route === 'command' && r.route_reason.startsWith('/'))).toBe(true);
  await sql.close();
  rmSync(dataDir, { recursive: true, force: true });
});
