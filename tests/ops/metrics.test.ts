import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { RunStep } from '../../src/store/runs.js';
import { startHarness, type Harness } from '../support/harness.js';
import { ask, script } from '../tools/helpers.js';
import { scrape, type Scrape } from './prometheus.js';

// GET /metrics of the whole app in HTTP mode, scraped over HTTP and read with a Prometheus text-format parser.
// Every figure is checked against the run log of the same runs.

/** This machine's address on a real interface: a client there is not loopback. */
const externalAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const catalogue = loadConfig({}).model.catalogue;
const MODEL_STEP_KINDS = new Set(['model', 'router', 'plan', 'synthesis', 'embedding', 'judge', 'analyst']);

/** Tokens and cost of a run's model steps, per (model, agent, kind), as the metrics label them. */
function spendByLabels(steps: RunStep[]) {
  const out = new Map<string, { labels: Record<string, string>; input: number; output: number; cost: number; price: number; steps: number }>();
  for (const step of steps.filter((s) => MODEL_STEP_KINDS.has(s.kind) && s.model)) {
    const labels = { model: step.model!, agent: step.agentId ?? '', kind: step.kind };
    const key = JSON.stringify(labels);
    const entry = out.get(key) ?? { labels, input: 0, output: 0, cost: 0, price: 0, steps: 0 };
    entry.input += step.tokensIn;
    entry.output += step.tokensOut;
    entry.cost += step.costUsd ?? 0;
    entry.price += catalogue.costOf(step.model!, step.tokensIn, step.tokensOut) ?? 0;
    entry.steps++;
    out.set(key, entry);
  }
  return [...out.values()];
}

describe('GET /metrics on PORT, no METRICS_TOKEN', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', MODEL_MAX_RETRIES: '0' }); });
  afterAll(async () => { await h?.close(); });

  test('a run with a tool call moves the run, latency, token, cost, tool and pool metrics by what the run log recorded', async () => {
    const before = await scrape(`${h.url}/metrics`);
    script(h, 'data-analysis', (n) => (n === 0
      ? { toolCalls: [{ name: 'calculator', arguments: { expression: '17.5% * 2340' } }], usage: { prompt_tokens: 400, completion_tokens: 20 } }
      : { text: '17.5% of 2,340 is 409.5.', usage: { prompt_tokens: 450, completion_tokens: 12 } }));
    const { run } = await ask(h, 'Calculate 17.5% of 2,340 and show the statistics');
    expect(run).toMatchObject({ status: 'succeeded' });
    const after = await scrape(`${h.url}/metrics`);
    const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);

    expect(delta('improver_runs_total', { route: run.route!, outcome: 'succeeded' })).toBe(1);
    expect(delta('improver_runs_total')).toBe(1);
    const latency = after.histogram('improver_reply_latency_seconds', { route: run.route!, outcome: 'succeeded' });
    const latencyBefore = before.histogram('improver_reply_latency_seconds', { route: run.route!, outcome: 'succeeded' });
    expect(latency.count - latencyBefore.count).toBe(1);
    expect(latency.sum - latencyBefore.sum).toBeCloseTo(run.latencyMs! / 1000, 6);

    // Tokens and cost per model, agent and step kind: exactly the run's model steps.
    const spend = spendByLabels(run.steps);
    expect(spend.find((s) => s.labels.agent === 'data-analysis')).toMatchObject({ input: 850, output: 32, labels: { model: 'gpt-4.1-mini', kind: 'model' } });
    for (const s of spend) {
      expect(delta('improver_model_tokens_total', { ...s.labels, type: 'input' }), JSON.stringify(s.labels)).toBe(s.input);
      expect(delta('improver_model_tokens_total', { ...s.labels, type: 'output' }), JSON.stringify(s.labels)).toBe(s.output);
      // Exactly the catalogue's price of these tokens; the run log keeps each step's cost to 6 decimals.
      const cost = delta('improver_model_cost_usd_total', s.labels);
      expect(cost).toBeCloseTo(s.price, 12);
      expect(Math.abs(cost - s.cost)).toBeLessThanOrEqual(s.steps * 1e-6);
    }
    expect(delta('improver_model_tokens_total')).toBe(run.tokensIn + run.tokensOut);
    expect(delta('improver_model_cost_usd_total')).toBeGreaterThan(0);
    const modelSteps = run.steps.filter((s) => MODEL_STEP_KINDS.has(s.kind));
    expect(delta('improver_model_calls_total', { outcome: 'ok' })).toBe(modelSteps.length);
    expect(after.histogram('improver_model_call_duration_seconds', { model: 'gpt-4.1-mini', kind: 'model' }).count
      - before.histogram('improver_model_call_duration_seconds', { model: 'gpt-4.1-mini', kind: 'model' }).count).toBe(2);

    expect(delta('improver_tool_calls_total', { tool: 'calculator', outcome: 'ok' })).toBe(1);
    // The pool built the specialist for this run (a miss); it is live now, and nobody is waiting.
    expect(delta('improver_agent_pool_misses_total')).toBeGreaterThanOrEqual(1);
    expect(after.value('improver_agent_pool_builds_total')).toBeGreaterThanOrEqual(1);
    expect(after.value('improver_agent_pool_live')).toBeGreaterThanOrEqual(1);
    expect(after.samples('improver_agent_queue_waiting')).toEqual([expect.objectContaining({ value: '0' })]);
    for (const name of ['improver_agent_queue_waits_total', 'improver_agent_queue_wait_seconds_total', 'improver_agent_queue_refusals_total']) {
      expect(after.samples(name)).toEqual([expect.objectContaining({ value: '0' })]); // exported; nothing waited here
    }
    expect(after.value('improver_runs_in_flight')).toBe(0);
    expect(after.family('improver_runs_total')?.type).toBe('COUNTER');
    expect(after.family('improver_reply_latency_seconds')?.type).toBe('HISTOGRAM');
  });

  test('a failed run is counted by outcome and error class; the live specialist is a pool hit', async () => {
    const before = await scrape(`${h.url}/metrics`);
    script(h, 'data-analysis', () => ({ error: { status: 500 } }));
    const { run } = await ask(h, 'Calculate the mean of 3, 5 and 10 and show the statistics');
    expect(run).toMatchObject({ status: 'failed', errorClass: 'MODEL_SERVER_ERROR' });
    const after = await scrape(`${h.url}/metrics`);
    const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
    expect(delta('improver_runs_total', { route: run.route!, outcome: 'failed' })).toBe(1);
    expect(delta('improver_run_failures_total', { route: run.route!, error_class: 'MODEL_SERVER_ERROR' })).toBe(1);
    expect(delta('improver_model_calls_total', { model: 'gpt-4.1-mini', kind: 'model', outcome: 'error' })).toBe(1);
    // A failed call used no tokens.
    expect(delta('improver_model_tokens_total', { agent: 'data-analysis' })).toBe(0);
    expect(delta('improver_agent_pool_hits_total')).toBeGreaterThanOrEqual(1);
  });

  test('analyst runs are counted by job and outcome with their duration; running experiments are read from the database', async () => {
    const before = await scrape(`${h.url}/metrics`);
    const [outcome] = await h.app.analysts.scheduler.runNow(['cost']);
    expect(outcome).toMatchObject({ claimed: true });
    await h.store.agents.save({ agentId: 'metrics-probe', specialty: 'probe', description: 'probe questions', model: 'gpt-4.1', systemPrompt: 'You answer probe questions.' });
    const started = await h.store.experiments.create({ targetKind: 'agent', targetId: 'metrics-probe', controlVersion: 1, candidateVersion: 1, share: 0.2 });
    expect(started.ok).toBe(true);
    const after = await scrape(`${h.url}/metrics`);
    const runs = (s: Scrape) => s.histogram('improver_analyst_run_duration_seconds', { job: 'cost', outcome: 'succeeded' });
    expect(runs(after).count - runs(before).count).toBe(1);
    expect(runs(after).sum).toBeGreaterThan(0);
    expect(after.family('improver_analyst_run_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(after.value('improver_experiments_running') - before.value('improver_experiments_running')).toBe(1);
  });

  test('only loopback clients are answered without a token; other paths and methods are not /metrics', async () => {
    expect((await fetch(`${h.url}/metrics`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${h.url}/metricsx`)).status).toBe(404);
    expect((await fetch(`${h.url}/metrics?x=1`)).status).toBe(200);
  });

  test.skipIf(!externalAddress)('a client on another address gets 403 and no metrics', async () => {
    const response = await fetch(`http://${externalAddress}:${h.app.port}/metrics`);
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('improver_');
    // The ack front relays over loopback and names the real client in a header; a client cannot claim to be local.
    const spoofed = await fetch(`http://${externalAddress}:${h.app.port}/metrics`, { headers: { 'x-improver-relayed-peer': '127.0.0.1' } });
    expect(spoofed.status).toBe(403);
  });
});

describe('METRICS_TOKEN and METRICS_PORT', () => {
  const token = 'metrics-token-0123456789abcdef';
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ SLACK_STREAMING: 'off', METRICS_TOKEN: token, METRICS_PORT: '0' }); });
  afterAll(async () => { await h?.close(); });
  const metricsUrl = (host = '127.0.0.1') => `http://${host}:${h.app.metricsPort}/metrics`;

  test('/metrics moves to METRICS_PORT: PORT answers 404 there, /health stays', async () => {
    expect(h.app.metricsPort).toBeGreaterThan(0);
    expect(h.app.metricsPort).not.toBe(h.app.port);
    expect((await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect((await fetch(`${h.url}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${h.app.metricsPort}/health`)).status).toBe(404);
  });

  test('401 without the token or with a wrong one, 200 with it', async () => {
    const statuses = await Promise.all([
      fetch(metricsUrl()),
      fetch(metricsUrl(), { headers: { authorization: `Bearer ${token.slice(0, -1)}x` } }),
      fetch(metricsUrl(), { headers: { authorization: `Bearer ${token}extra` } }),
      fetch(metricsUrl(), { headers: { authorization: token } }),
      fetch(metricsUrl(), { headers: { authorization: `Basic ${Buffer.from(`u:${token}`).toString('base64')}` } }),
    ]).then((responses) => responses.map((r) => [r.status, r.headers.get('www-authenticate')]));
    expect(statuses).toEqual(Array(5).fill([401, 'Bearer realm="metrics"']));
    const scraped: Scrape = await scrape(metricsUrl(), { authorization: `Bearer ${token}` });
    expect(scraped.family('improver_runs_total')?.type).toBe('COUNTER');
    expect(scraped.family('process_cpu_seconds_total')).toBeDefined();
  });

  test.skipIf(!externalAddress)('on METRICS_PORT any client with the token is answered, from any address', async () => {
    expect((await fetch(metricsUrl(externalAddress))).status).toBe(401);
    await scrape(metricsUrl(externalAddress), { authorization: `Bearer ${token}` });
  });
});
