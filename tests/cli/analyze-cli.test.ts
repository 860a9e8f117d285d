import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { openPglite } from '../../src/store/pglite/pglite-client.js';

// `npm run analyze` against the embedded database, as real processes: while an app holds the data directory the
// CLI hands its work to that app (loopback endpoint, token from the data directory) and never opens the files;
// with no app running it opens the directory itself. The database stays intact either way.
const dataDir = mkdtempSync(join(tmpdir(), 'analyze-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLACK_BOT_TOKEN: '', SLACK_APP_TOKEN: '', SLACK_SIGNING_SECRET: '',
  OPENAI_API_KEY: '', OPENAI_BASE_URL: '', DATABASE_URL: '', SUPABASE_URL: '', SUPABASE_SERVICE_ROLE_KEY: '' };

function run(args: string[], stdin: 'pipe' | 'ignore' = 'ignore'): { child: ChildProcess; output: () => string; exit: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env, stdio: [stdin, 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, output: () => out, exit };
}

test('while the app runs the CLI hands the work to it; with no app it runs the analysts itself; the data stays intact', async () => {
  const app = run(['src/main.ts'], 'pipe');
  await expect.poll(app.output, { timeout: 60_000, interval: 100 }).toMatch(/Ready\./);

  const handed = run(['src/cli/analyze.ts', 'all']);
  expect(await handed.exit).toBe(0);
  expect(handed.output()).toMatch(/holds .* handing the work to it/);
  for (const job of ['errors', 'cost', 'workflows', 'agents', 'anomalies', 'digest']) expect(handed.output()).toMatch(new RegExp(`• ${job}: `));
  expect(handed.output()).not.toMatch(/Could not|failed —/);

  const bad = run(['src/cli/analyze.ts', 'nonsense']);
  expect(await bad.exit).toBe(2);
  expect(bad.output()).toMatch(/Usage: npm run analyze -- <errors\|cost\|workflows\|agents\|anomalies\|digest\|improver\|all>/);

  app.child.stdin!.end(); // the console chat ends with its input; the app stops and releases the directory
  expect(await app.exit).toBe(0);

  const alone = run(['src/cli/analyze.ts', 'errors', 'cost']);
  expect(await alone.exit).toBe(0);
  expect(alone.output()).not.toMatch(/handing the work/);
  expect(alone.output()).toMatch(/• errors: \d+ failed runs? read/);
  expect(alone.output()).toMatch(/• cost: last 24 h/);

  const sql = await openPglite(dataDir);
  const rows = await sql.query<{ job: string; n: number }>(`select job, count(*)::int as n from analyst_runs where finished_at is not null group by job order by job`);
  expect(rows).toEqual([{ job: 'agents', n: 1 }, { job: 'anomalies', n: 1 }, { job: 'cost', n: 2 }, { job: 'digest', n: 1 }, { job: 'errors', n: 2 }, { job: 'workflows', n: 1 }]);
  const [agents] = await sql.query<{ n: number }>('select count(*)::int as n from agent_configs');
  expect(agents!.n).toBeGreaterThanOrEqual(6);
  await sql.close();
}, 180_000);
