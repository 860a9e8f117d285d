/** Forks one measurement (measure-child.ts) and collects its progress, so a stopped or failed one still reports what it measured. */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobName } from '../../src/analysts/job.js';
import type { ChildMessage, MeasureRequest, MeasureResult } from './measure-child.js';
import { PASS_ORDER, type AnalystFigure, type CallFigure, type PassFigure } from './pass.js';

const CHILD = fileURLToPath(new URL('./measure-child.ts', import.meta.url));

/** A measurement's figures; without `failure` it is complete. */
export type Measurement = Partial<MeasureResult> & Pick<MeasureResult, 'store' | 'runs'> & { failure?: string };

/** The calls received of a pass that never finished, as a pass figure (the analysts it never reached are absent). */
function partialPass(calls: Array<{ name: string; call: CallFigure }>): PassFigure {
  const analysts = {} as Record<JobName, AnalystFigure>;
  for (const { name, call } of calls) {
    const a = (analysts[name as JobName] ??= { seconds: 0, calls: [], rowsRead: 0, findings: 0, proposals: 0 });
    a.calls.push(call);
    a.seconds += call.seconds;
    a.rowsRead += call.rowsRead;
  }
  const seconds = Object.values(analysts).reduce((s, a) => s + a.seconds, 0);
  return { seconds, incomplete: true, analysts: Object.fromEntries(PASS_ORDER.filter((n) => analysts[n]).map((n) => [n, analysts[n]])) as Record<JobName, AnalystFigure>, notices: 0 };
}

/**
 * Runs one measurement in its own process. limitSeconds counts from the end of seeding: past it the process is
 * killed (PGlite has no statement timeout: one slow query would otherwise hold the bench indefinitely).
 */
export function measureInChild(req: MeasureRequest, limitSeconds: number): Promise<Measurement> {
  const dir = req.store === 'pglite' ? mkdtempSync(join(tmpdir(), 'bench-pglite-')) : null;
  if (dir) req = { ...req, dataDir: join(dir, 'data') };
  return new Promise<Measurement>((resolve) => {
    const child = fork(CHILD, [JSON.stringify(req)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const m: Measurement = { store: req.store, runs: req.runs };
    const calls: Record<'full' | 'incremental', Array<{ name: string; call: CallFigure }>> = { full: [], incremental: [] };
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (failure?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (failure) {
        m.failure = failure;
        if (m.seed && !m.full) m.full = partialPass(calls.full);
        else if (m.full && !m.incremental && calls.incremental.length) m.incremental = partialPass(calls.incremental);
      }
      resolve(m);
    };
    child.on('message', (msg: ChildMessage) => {
      if (msg.type === 'seeded') {
        m.seed = msg.seed;
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          finish(`stopped: the passes ran past the ${limitSeconds} s limit (--limit)`);
        }, limitSeconds * 1000);
      } else if (msg.type === 'call') calls[msg.pass].push({ name: msg.name, call: msg.call });
      else if (msg.type === 'pass') m[msg.pass] = msg.figure;
      else if (msg.type === 'result') { Object.assign(m, msg.result); finish(); }
      else finish(`failed: ${msg.error}`);
    });
    child.on('exit', (code, signal) => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      finish(`the measuring process exited (${signal ?? code}) before reporting`);
    });
  });
}
