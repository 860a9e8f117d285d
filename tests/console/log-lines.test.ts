import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { createConsoleSurface } from '../../src/console/console-surface.js';
import { gatedLogStream } from '../../src/console/terminal-log-gate.js';
import { openLogFile } from '../../src/ops/log-file.js';
import { createLogger } from '../../src/ops/logger.js';
import { withRun } from '../../src/ops/run-context.js';

/** A log destination that keeps every line exactly as written. */
const capture = () => {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => { lines.push(line); } } };
};
const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('runId on a log line', () => {
  test('appears exactly once, whether a child logger was made with it, without it, or there is no child', async () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', secrets: [], destination });
    await withRun('run-1', async () => {
      logger.child({ runId: 'run-1', goalId: 'g1' }).warn('from a child made with the runId');
      logger.child({ component: 'tools' }).info('from a child without it');
      logger.info('from the root logger');
      logger.child({ runId: 'run-1' }).child({ component: 'deeper' }).info('from a grandchild');
    });
    logger.info('outside any run');
    expect(lines).toHaveLength(5);
    // JSON.parse keeps the last of two equal keys, so the raw text is what shows a duplicate.
    for (const line of lines.slice(0, 4)) {
      expect(count(line, '"runId"')).toBe(1);
      expect(JSON.parse(line).runId).toBe('run-1');
    }
    expect(lines[4]).not.toContain('runId');
  });
});

describe('LOG_FORMAT=pretty', () => {
  test('writes pino-pretty lines, not JSON, with secrets scrubbed and runId once', async () => {
    const { lines, destination } = capture();
    const secret = 'sk-live-abcdefghijkl';
    const logger = createLogger({ level: 'info', secrets: [secret], destination, format: 'pretty' });
    await withRun('run-7', async () => logger.child({ runId: 'run-7' }).warn({ detail: `key ${secret}` }, 'model call failed'));
    const text = lines.join('');
    expect(text).toMatch(/WARN.*model call failed/);
    expect(count(text, 'runId')).toBe(1);
    expect(text).toContain('run-7');
    expect(text).not.toContain(secret);
    for (const line of text.split('\n')) expect(() => JSON.parse(line)).toThrow();
  });
});

describe('the console log file', () => {
  let dir: string | undefined;
  afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  test('is DATA_DIR/logs/improver.log, appended across starts, and moved aside past its size cap', () => {
    dir = mkdtempSync(join(tmpdir(), 'console-log-'));
    const first = openLogFile(dir, 1000);
    expect(first.path).toBe(join(dir, 'logs', 'improver.log'));
    createLogger({ level: 'info', secrets: [], destination: first.destination }).info('first start');
    createLogger({ level: 'info', secrets: [], destination: openLogFile(dir, 1000).destination }).info('second start');
    const lines = readFileSync(first.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).msg);
    expect(lines).toEqual(['first start', 'second start']);

    writeFileSync(first.path, 'x'.repeat(1001));
    createLogger({ level: 'info', secrets: [], destination: openLogFile(dir, 1000).destination }).info('after the cap');
    expect(statSync(`${first.path}.1`).size).toBe(1001);
    expect(readFileSync(first.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).msg)).toEqual(['after the cap']);
  });

  test('that cannot be created is an error at start, naming the path', () => {
    dir = mkdtempSync(join(tmpdir(), 'console-log-'));
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    expect(() => openLogFile(file)).toThrow(/ENOTDIR|EEXIST/);
  });
});

describe('pretty logs on the chat terminal', () => {
  test('a warning logged while an answer streams comes out after the answer, never inside it', async () => {
    // One "terminal" for the answer, the status lines and the log, as when stdout and stderr are one TTY.
    let terminal = '';
    const tty = { write: (text: string) => { terminal += text; return true; } };
    const logger = createLogger({ level: 'info', secrets: [], destination: gatedLogStream(tty), format: 'pretty' });
    const surface = createConsoleSurface(tty as never, tty as never, { color: false });
    logger.info('before the answer');
    const answer = await surface.startAnswer();
    await answer.append('First line of the answer,\nsecond ');
    logger.warn('retrying the model');
    await answer.append('line of the answer.');
    await answer.finish('First line of the answer,\nsecond line of the answer.');
    surface.endTurn();
    const answerAt = terminal.indexOf('First line of the answer,\nsecond line of the answer.\n');
    expect(answerAt).toBeGreaterThan(terminal.indexOf('before the answer'));
    expect(terminal.indexOf('retrying the model')).toBeGreaterThan(answerAt);
  });
});
