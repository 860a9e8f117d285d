import { afterAll, beforeAll, expect, test } from 'vitest';
import { pino } from 'pino';
import type { RunStep } from '../../src/store/runs.js';
import { startHarness, type Harness } from '../support/harness.js';
import { ask, toolMessages } from '../tools/helpers.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

// Traces of the whole app in HTTP mode, exported by the OpenTelemetry SDK over OTLP/HTTP (JSON) to a receiver
// on 127.0.0.1, checked against the run log of the same runs.

let receiver: OtlpReceiver;
let h: Harness;
let closed = false;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  h = await startHarness({
    SLACK_STREAMING: 'off', OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_EXPORTER_OTLP_HEADERS: 'x-test-key=abc%20def',
    OTEL_SERVICE_NAME: 'improver-under-test',
  });
});
afterAll(async () => {
  if (!closed) await h?.close();
  await receiver?.close();
});

const MODEL_STEP_KINDS = new Set(['model', 'router', 'plan', 'synthesis', 'embedding', 'judge', 'analyst']);
const within = (outer: ReceivedSpan, inner: ReceivedSpan) => inner.startNs >= outer.startNs && inner.endNs <= outer.endNs;

function checkRunTrace(spans: ReceivedSpan[], run: { id: string; route: string | null; agentIds: string[]; steps: RunStep[] }) {
  const mine = spans.filter((s) => s.attributes['run.id'] === run.id);
  const roots = mine.filter((s) => s.name === 'run');
  expect(roots).toHaveLength(1);
  const root = roots[0]!;
  expect(root.parentSpanId).toBe('');
  expect(root.attributes).toMatchObject({ 'run.outcome': 'succeeded', 'run.route': run.route, 'run.agent': run.agentIds[0], 'run.surface': 'slack' });
  expect(root.status.code).toBe(1); // OK
  // One trace per run: every span of the run is in the run span's trace, a child of it, inside its time.
  for (const span of mine.filter((s) => s !== root)) {
    expect(span.traceId, span.name).toBe(root.traceId);
    expect(span.parentSpanId, span.name).toBe(root.spanId);
    expect(within(root, span), `${span.name} inside the run`).toBe(true);
  }

  // A span per model call, with the GenAI conventions' names and exactly the tokens the run log recorded.
  const modelSpans = mine.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat' || s.attributes['gen_ai.operation.name'] === 'embeddings');
  const modelSteps = run.steps.filter((s) => MODEL_STEP_KINDS.has(s.kind));
  expect(modelSpans).toHaveLength(modelSteps.length);
  const usage = (list: Array<[unknown, unknown, unknown, unknown]>) => list.map((t) => JSON.stringify(t)).sort();
  expect(usage(modelSpans.map((s) => [s.attributes['gen_ai.response.model'], s.attributes['gen_ai.usage.input_tokens'], s.attributes['gen_ai.usage.output_tokens'], s.attributes['improver.step.kind']])))
    .toEqual(usage(modelSteps.map((s) => [s.model, s.tokensIn, s.tokensOut, s.kind])));
  for (const span of modelSpans) {
    expect(span.name).toBe(`${span.attributes['gen_ai.operation.name']} ${span.attributes['gen_ai.request.model']}`);
    expect(span.kind).toBe(3); // CLIENT
    expect(span.attributes).toMatchObject({ 'gen_ai.provider.name': 'openai', 'gen_ai.system': 'openai' });
  }
  const agentSpans = modelSpans.filter((s) => s.attributes['improver.step.kind'] === 'model');
  expect(agentSpans.length).toBeGreaterThan(0);
  for (const span of agentSpans) expect(span.attributes).toMatchObject({ 'gen_ai.request.model': 'gpt-4.1-mini', 'gen_ai.agent.id': run.agentIds[0] });
  return { root, mine, modelSpans };
}

test('a run is one trace: the run span, a child span per model call with GenAI attributes, a span per tool call, run.id on every span', async () => {
  // Two runs at once, on one specialist: one calls the calculator, the other answers at once.
  h.openai.setResponder((req) => {
    if (req.body.response_format) return { json: { agent_id: 'data-analysis', reason: 'test' } };
    if (toolMessages(req).length > 0) return { text: '17.5% of 2,340 is 409.5.', usage: { prompt_tokens: 450, completion_tokens: 12 } };
    if (req.lastUserMessage.includes('17.5%')) {
      return { toolCalls: [{ id: 'call_calc_1', name: 'calculator', arguments: { expression: '17.5% * 2340' } }], usage: { prompt_tokens: 400, completion_tokens: 20 } };
    }
    return { text: 'The mean is 6.', usage: { prompt_tokens: 300, completion_tokens: 5 } };
  });
  const [withTool, plain] = await Promise.all([
    ask(h, 'Calculate 17.5% of 2,340 and show the statistics'),
    ask(h, 'Calculate the mean of 3, 5 and 10 and show the statistics'),
  ]);
  expect([withTool.run.status, plain.run.status]).toEqual(['succeeded', 'succeeded']);
  // Stopping the app flushes the batch processor: every span is exported before stop() resolves.
  await h.close();
  closed = true;
  const spans = receiver.spans;

  expect(spans.length).toBeGreaterThan(0);
  expect(spans.filter((s) => typeof s.attributes['run.id'] !== 'string')).toEqual([]);
  expect(new Set(spans.map((s) => s.resource['service.name']))).toEqual(new Set(['improver-under-test']));
  expect(receiver.requests.every((r) => r.headers['x-test-key'] === 'abc def')).toBe(true);

  const a = checkRunTrace(spans, withTool.run);
  const b = checkRunTrace(spans, plain.run);
  expect(a.root.traceId).not.toBe(b.root.traceId);

  // The tool call: its own span under the run, after the model call that asked for it and before the one that used it.
  const toolSpans = a.mine.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool');
  expect(toolSpans).toHaveLength(1);
  const tool = toolSpans[0]!;
  expect(tool.name).toBe('execute_tool calculator');
  expect(tool.attributes).toMatchObject({ 'gen_ai.tool.name': 'calculator', 'gen_ai.tool.call.id': 'call_calc_1', 'gen_ai.tool.type': 'function', 'improver.tool.status': 'ok' });
  const agentCalls = a.modelSpans.filter((s) => s.attributes['improver.step.kind'] === 'model').sort((x, y) => Number(x.startNs - y.startNs));
  expect(agentCalls.map((s) => s.attributes['gen_ai.usage.input_tokens'])).toEqual([400, 450]);
  expect(tool.startNs >= agentCalls[0]!.endNs && tool.endNs <= agentCalls[1]!.startNs).toBe(true);
  expect(b.mine.filter((s) => s.attributes['gen_ai.operation.name'] === 'execute_tool')).toEqual([]);
});

test('a receiver that refuses spans costs no answer: the run succeeds and the refusal is logged once', async () => {
  const refusing = await startOtlpReceiver({ refuseWith: 400 });
  const lines: Array<{ msg?: string; level?: number }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const app = await startHarness({ SLACK_STREAMING: 'off', OTEL_EXPORTER_OTLP_ENDPOINT: refusing.url }, { logger });
  try {
    app.openai.enqueue({ text: 'Paris.', usage: { prompt_tokens: 50, completion_tokens: 2 } });
    const { run, answer } = await ask(app, 'What is the capital of France?');
    expect(run.status).toBe('succeeded');
    expect(answer).toContain('Paris.');
  } finally {
    await app.close();
    await refusing.close();
  }
  expect(refusing.requests.length).toBeGreaterThan(0);
  expect(lines.filter((l) => l.msg?.startsWith('traces could not be exported'))).toHaveLength(1);
});
