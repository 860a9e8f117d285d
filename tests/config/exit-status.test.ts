import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';

// The real entry point, as `npm start` runs it, with a bad environment: clear message on stderr, status 2.
const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  env: { PATH: process.env.PATH ?? '', ...env },
  encoding: 'utf8',
  timeout: 30_000,
  cwd: process.cwd(),
});

describe('bad .env at start', () => {
  test('PORT=abc exits with status 2 and names the variable', () => {
    const result = run({ PORT: 'abc' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/PORT: is not a number/);
    expect(result.stderr).toMatch(/e\.g\. PORT=3000/);
  });

  test('half the Slack tokens exits with status 2 and never prints the token', () => {
    const token = 'xoxb-1111-2222-abcdefghijkl';
    const result = run({ SLACK_BOT_TOKEN: token });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/SLACK_SIGNING_SECRET: is required with SLACK_BOT_TOKEN/);
    expect(result.stderr + result.stdout).not.toContain(token);
  });
});
