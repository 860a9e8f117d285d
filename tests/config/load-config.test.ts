import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';
import { ModelCatalogue } from '../../src/config/models.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('mode and store detection', () => {
  test('no tokens: console mode on embedded PGlite in ./.data, no model', () => {
    const config = loadConfig({});
    expect(config.slack).toMatchObject({ kind: 'console', apiUrl: 'https://slack.com/api/' });
    expect(config.store).toEqual({ kind: 'pglite', dataDir: './.data' });
    expect(config.model.endpoint).toBeNull();
    expect(config.server.port).toBe(3000);
    expect(config.agents).toMatchObject({ poolMax: 50, idleTtlMs: 24 * 3_600_000 });
  });

  test('bot token + signing secret: HTTP mode; app token: Socket Mode', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'shh' }).slack.kind).toBe('http');
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack.kind).toBe('socket');
  });

  test('Supabase wins over DATABASE_URL, which wins over PGlite', () => {
    expect(loadConfig({ SUPABASE_URL: 'https://x.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'k', DATABASE_URL: 'postgres://h/db' }).store.kind).toBe('supabase');
    expect(loadConfig({ DATABASE_URL: 'postgres://h/db' }).store).toEqual({ kind: 'postgres', connectionString: 'postgres://h/db' });
    expect(loadConfig({ DATA_DIR: '/var/lib/bot' }).store).toEqual({ kind: 'pglite', dataDir: '/var/lib/bot' });
  });

  test('OPENAI_BASE_URL alone (a local server) is enough for a model endpoint', () => {
    expect(loadConfig({ OPENAI_BASE_URL: 'http://localhost:11434/v1' }).model.endpoint).toEqual({ apiKey: 'not-needed', baseUrl: 'http://localhost:11434/v1' });
  });

  test('empty values count as unset (NAME= lines in .env)', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: '', PORT: '' }).slack.kind).toBe('console');
  });
});

describe('bad configuration', () => {
  test('PORT=abc names the variable, its shape and an example', () => {
    const error = problemsOf({ PORT: 'abc' });
    expect(error.problems).toEqual([expect.objectContaining({ variable: 'PORT', shape: expect.stringContaining('TCP port'), example: '3000' })]);
    expect(error.message).toMatch(/PORT: is not a number[\s\S]*expected: a TCP port 1-65535.*e\.g\. PORT=3000/);
  });

  test('half the Slack tokens: names the missing one and explains the modes', () => {
    const error = problemsOf({ SLACK_BOT_TOKEN: 'xoxb-123' });
    expect(error.problems[0]?.variable).toBe('SLACK_SIGNING_SECRET');
    expect(error.message).toMatch(/HTTP mode needs both/);
    expect(problemsOf({ SLACK_SIGNING_SECRET: 'abc' }).problems[0]?.variable).toBe('SLACK_BOT_TOKEN');
    expect(problemsOf({ SLACK_APP_TOKEN: 'xapp-1' }).problems[0]?.variable).toBe('SLACK_BOT_TOKEN');
  });

  test('several problems are listed together, and secrets are never echoed', () => {
    const secret = 'xoxp-this-is-a-user-token-not-a-bot-token';
    const error = problemsOf({ SLACK_BOT_TOKEN: secret, SLACK_SIGNING_SECRET: 's', PORT: '70000', LOG_LEVEL: 'loud',
      MODEL_PRICES: '{"m": {"input": "cheap"}}', SUPABASE_URL: 'https://x.supabase.co' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['LOG_LEVEL', 'MODEL_PRICES', 'PORT', 'SLACK_BOT_TOKEN', 'SUPABASE_SERVICE_ROLE_KEY']);
    expect(error.message).not.toContain(secret);
  });

  test('malformed MODEL_PRICES JSON and a DATABASE_URL of the wrong scheme', () => {
    expect(problemsOf({ MODEL_PRICES: '{oops' }).message).toMatch(/MODEL_PRICES: is not valid JSON/);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' }).message).toMatch(/DATABASE_URL: must start with postgres/);
  });
});

describe('model catalogue', () => {
  test('prices known models, dated snapshots, overrides; unknown is null, never 0', () => {
    const catalogue = new ModelCatalogue({ 'llama3.1:8b': { input: 0, output: 0 } });
    expect(catalogue.costOf('gpt-4.1-mini', 1_000_000, 1_000_000)).toBeCloseTo(2.0, 6);
    expect(catalogue.costOf('gpt-4.1-mini-2025-04-14', 1000, 0)).toBeCloseTo(0.0004, 9);
    expect(catalogue.costOf('llama3.1:8b', 5000, 5000)).toBe(0);
    expect(catalogue.costOf('mystery', 10, 10)).toBeNull();
  });

  test('MODEL_PRICES extends the catalogue through configuration', () => {
    const config = loadConfig({ MODEL_PRICES: '{"my-model":{"input":1,"output":2}}' });
    expect(config.model.catalogue.costOf('my-model', 1_000_000, 0)).toBe(1);
    expect(config.model.catalogue.has('gpt-4o-mini')).toBe(true);
  });
});
