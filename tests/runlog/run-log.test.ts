import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, test } from 'vitest';
import { ModelCatalogue } from '../../src/config/models.js';
import { createLogger } from '../../src/ops/logger.js';
import { RunLog } from '../../src/runlog/run-log.js';
import { pgliteStore } from '../support/stores.js';

const capture = () => {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { lines, destination };
};

test('model steps are priced from the catalogue; an unknown model is recorded as unknown cost with one warning', async () => {
  const store = await pgliteStore();
  const { lines, destination } = capture();
  const runLog = new RunLog(store.runs, new ModelCatalogue(), pino({ level: 'warn' }, destination));
  const { run } = await runLog.start({ workspaceId: 'T1', surface: 'test', requestText: 'q' });
  await runLog.modelStep(run.id, { kind: 'model', status: 'ok', model: 'gpt-4.1-mini', tokensIn: 1_000_000, tokensOut: 0 });
  await runLog.modelStep(run.id, { kind: 'model', status: 'ok', model: 'my-local-llm', tokensIn: 100, tokensOut: 100 });
  await runLog.modelStep(run.id, { kind: 'model', status: 'ok', model: 'my-local-llm', tokensIn: 100, tokensOut: 100 });
  const finished = await runLog.finish(run.id, { status: 'succeeded' });
  expect(finished.costUsd).toBeCloseTo(0.4, 6);
  expect(finished.costUnknownSteps).toBe(2);
  const warnings = lines.filter((l) => l.includes('my-local-llm'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/MODEL_PRICES/);
  await store.close();
});

test('the logger redacts configured secrets wherever they appear', () => {
  const { lines, destination } = capture();
  const secret = 'xoxb-1234-5678-supersecret';
  const logger = createLogger({ level: 'info', secrets: [secret], destination });
  logger.info({ token: 'anything', nested: { detail: `failed with ${secret}` } }, `calling with ${secret}`);
  logger.child({ runId: 'r1' }).error(new Error(`bad token ${secret}`));
  const all = lines.join('\n');
  expect(all).not.toContain(secret);
  expect(all).toContain('[REDACTED]');
  expect(all).toContain('"runId":"r1"');
});
