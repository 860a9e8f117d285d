import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SqlClient } from '../../src/store/sql-client.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { KNOWN_RUNS, percentileCont, seedRun } from '../support/seed-runs.js';
import { pngSize, slash, sleep, storeWithSql } from './slack-helpers.js';

// /metrics against a run log seeded with known figures (runs, steps and feedback through the store API;
// budgets, patterns and an applied improvement, which have no store API yet, with SQL). Workspace T9 holds
// nothing else, so every figure of the report is known exactly.
let h: Harness;
let sql: SqlClient;
const W = 'T9';
const seeded = KNOWN_RUNS;
const twoDaysAgo = { agentId: 'research', status: 'succeeded', latencyMs: 3000, costUsd: 0.003 } as const;

beforeAll(async () => {
  const db = await storeWithSql();
  sql = db.sql;
  h = await startHarness({ SLACK_STREAMING: 'off' }, { store: db.store });
  const ids: string[] = [];
  for (const r of seeded) ids.push(await seedRun(h.store, { workspaceId: W, ...r }));
  await seedRun(h.store, { workspaceId: W, text: 'still running' });
  const old = await seedRun(h.store, { workspaceId: W, ...twoDaysAgo });
  await sql.query(`update runs set started_at = now() - interval '2 days' where id = $1`, [old]);
  await seedRun(h.store, { workspaceId: W, kind: 'command', status: 'succeeded', latencyMs: 5 });
  await seedRun(h.store, { workspaceId: 'T-other', agentId: 'research', status: 'succeeded', latencyMs: 1, costUsd: 9 });
  await h.store.feedback.record({ runId: ids[0]!, workspaceId: W, userId: 'U1', source: 'command', rating: 5 });
  await h.store.feedback.record({ runId: ids[2]!, workspaceId: W, userId: 'U1', source: 'command', rating: 2, text: 'too slow', category: 'too_slow' });
  await h.store.feedback.record({ runId: ids[1]!, workspaceId: W, userId: 'U2', source: 'button', rating: 4, dedupeKey: `button:${ids[1]}:U2` });
  await h.store.feedback.record({ runId: ids[3]!, workspaceId: W, userId: 'U2', source: 'command', text: 'use a table' });
  await sql.exec(`
    insert into budgets (scope, scope_id, period, limit_usd) values ('workspace', '${W}', 'daily', 1);
    insert into patterns (workspace_id, signature, example, occurrences, successes, strength) values
      ('${W}', 'weekly-report', 'write the weekly report', 4, 3, 'strong'), ('T-other', 'x', 'not ours', 99, 0, 'weak');
    insert into enhancements (source, target_kind, target_id, category, status, measured_impact, decided_at) values
      ('user', 'agent', 'research', 'too_slow', 'applied', '{"p50_latency_ms": {"before": 4000, "after": 2100}}', now());`);
});
afterAll(async () => { await h?.close(); });

const lines = (text: string) => text.split('\n');

describe('/metrics', () => {
  test('every figure matches the seeded run log; the chart goes to the asker\'s DM as a PNG, never to the channel', async () => {
    const cmd = await slash(h, '/metrics', '7d', { team: W });
    expect(cmd.status).toBe(200);
    expect(cmd.ackMs).toBeLessThan(3000);
    const reply = await cmd.reply();
    const latencies = [...seeded.map((s) => s.latencyMs), twoDaysAgo.latencyMs];
    expect(percentileCont(latencies, 0.5)).toBe(2000);
    expect(percentileCont(latencies, 0.95)).toBeCloseTo(8700, 9);
    // 8 requests (7 today, 1 two days ago; the command and the other workspace do not count), 7 finished, 4 succeeded;
    // cost 0.001 + 0.002 + 0.0005 + 0.0015 + 0.003 = 0.008; the daily budget counts today's 0.005 only.
    expect(lines(reply.body.text)).toEqual([
      '*Metrics — the last 7 days*',
      'Runs: 8 · Success rate: 57.1% (4 of 7 finished)',
      'Latency: p50 2.00 s · p95 8.70 s',
      'Cost: $0.0080 total · $0.0010 per query',
      'Budget: workspace T9 daily $0.0050 of $1.0000 (0.5%)',
      'Feedback: 4 · average rating 3.67/5 from 3 ratings',
      'Top agents: `research` 4 runs (100.0% ok, $0.0075) · `writing` 2 runs (0.0% ok, $0.0005) · `general` 1 run (0.0% ok, $0.0000)',
      'Top patterns: “write the weekly report” ×4 (strong)',
      'Top errors: MODEL_TIMEOUT ×2 · AGENT_BUSY ×1',
      'Improvements applied: 1',
      '• too slow on agent `research`: p50 latency ms 4000 → 2100',
      '_`/metrics improvements` for every change tried, how sure, and why._',
      '_The chart is in your DM with me, where only you can see it._',
    ]);
    const blocks = reply.body.blocks as any[];
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Metrics — the last 7 days' } });
    expect(blocks[1].fields.map((f: any) => f.text)).toEqual(lines(reply.body.text).slice(1, 4).concat(lines(reply.body.text)[5]!));

    const upload = await h.slack.waitFor('files.completeUploadExternal');
    expect(upload.response.ok).toBe(true);
    const [file] = h.slack.uploads;
    expect(file).toMatchObject({ filename: 'metrics-7d.png', completed: true, channel_id: 'DU1', title: 'Metrics — the last 7 days' });
    expect(h.slack.callsTo('conversations.open').at(-1)?.args).toMatchObject({ users: 'U1' });
    expect(pngSize(file!.bytes)).toEqual({ width: 1000, height: 820 });
  });

  test('a period and an agent narrow the report; the console gets the same text', async () => {
    const cmd = await slash(h, '/metrics', 'writing 24h', { team: W });
    const text = (await cmd.reply()).body.text as string;
    expect(lines(text).slice(0, 6)).toEqual([
      '*Metrics — the last 24 hours* · agent `writing`',
      'Runs: 2 · Success rate: 0.0% (0 of 2 finished)',
      'Latency: p50 8.50 s · p95 8.95 s',
      'Cost: $0.0005 total · $0.0003 per query',
      'Budget: workspace T9 daily $0.0050 of $1.0000 (0.5%)',
      'Feedback: 1 · average rating 2.00/5 from 1 rating',
    ]);
    // Nothing was applied for this agent: the section is left out rather than shown empty.
    expect(text).not.toMatch(/Improvements applied/);
    const { createImproverCommands } = await import('../../src/commands/improver-commands.js');
    const consoleReply = await createImproverCommands({ store: h.store, logger: { error() {} } as never })
      .run('metrics', 'writing 24h', { surface: 'console', workspaceId: W, userId: 'console:me', channelId: 'console-x' });
    // The same text; Slack adds only where the chart went.
    expect(`${consoleReply.text}\n_The chart is in your DM with me, where only you can see it._`).toBe(text);
    await eventually(() => h.slack.uploads.find((f) => f.filename === 'metrics-24h-writing.png' && f.completed)); // before the next test counts uploads
  });

  test('no data: the report says so and no chart is uploaded', async () => {
    const uploads = h.slack.uploads.length;
    const text = (await (await slash(h, '/metrics', '30d', { team: 'T-empty' })).reply()).body.text as string;
    expect(text).toMatch(/^Runs: 0$/m);
    expect(text).toMatch(/No runs in the last 30 days, so there is no chart\.$/);
    await sleep(300);
    expect(h.slack.uploads.length).toBe(uploads);
  });

  test('a bad period, an unknown agent or extra words give the usage help', async () => {
    for (const [args, problem] of [['5d', /`5d` is not a period I know/], ['weekly', /`weekly` is not a period/], ['7d 30d', /Give one period/],
      ['no-such-agent', /There is no agent `no-such-agent`\. Agents: .*`research`/], ['7d research extra', /Too many arguments/], ['help', /^\*\/metrics/]] as const) {
      const text = (await (await slash(h, '/metrics', args, { team: W })).reply()).body.text as string;
      expect(text, args).toMatch(problem);
      expect(text, args).toMatch(/\/metrics \[24h\|7d\|30d\|all\] \[agent\]/);
    }
  });

  test('acks within 3 s while the database is slow', async () => {
    const metrics = h.store.metrics;
    const report = metrics.report.bind(metrics);
    metrics.report = async (...args) => { await sleep(3500); return report(...args); };
    try {
      const sent = Date.now();
      const cmd = await slash(h, '/metrics', 'all', { team: W });
      expect(cmd.ackMs).toBeLessThan(3000);
      const reply = await cmd.reply(15_000);
      expect(reply.at - sent).toBeGreaterThanOrEqual(3400);
      expect(reply.body.text).toMatch(/^\*Metrics — all time\*\nRuns: 8 /);
    } finally {
      metrics.report = report;
    }
  }, 20_000);
});
