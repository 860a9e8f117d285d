/** Printing for bench:analysts: aligned lines for people, then the closing JSON object. */
import { cpus, loadavg, totalmem } from 'node:os';
import type { PassFigure } from './pass.js';
import type { Measurement } from './run-child.js';
import { mb } from './rss.js';

export interface Target { name: string; value: number | string | boolean | null; limit: string; pass: boolean }

const out = (line = '') => process.stdout.write(`${line}\n`);
const s = (seconds: number, digits = 2) => `${seconds.toFixed(digits)} s`;

export function heading(text: string): void {
  out();
  out(`== ${text}`);
}

function passLines(label: string, pass: PassFigure): void {
  out(`  ${label}: ${s(pass.seconds)}${pass.incomplete ? ' INCOMPLETE (the calls that finished before the measurement was stopped)' : ''} ` +
    `(${pass.notices} admin notices${pass.loadAvg1m !== undefined ? `; load average ${pass.loadAvg1m}` : ''})`);
  for (const [name, a] of Object.entries(pass.analysts)) {
    const calls = a.calls.map((c) => `${c.seconds.toFixed(2)}s/${c.rowsRead}`).join(' ');
    out(`    ${name.padEnd(10)} ${s(a.seconds).padStart(9)}  rows ${String(a.rowsRead).padStart(8)}  findings ${String(a.findings).padStart(5)}  ` +
      `proposals ${String(a.proposals).padStart(4)}  calls (s/rows) ${calls}` +
      `${a.stoppedAfterBudget ? '  STOPPED: time budget (--budget) used before a call read 0 new rows' : ''}${a.error ? `  ERROR ${a.error}` : ''}`);
  }
  if (pass.rpc) {
    const top = Object.entries(pass.rpc).slice(0, 8).map(([name, f]) => `${name} ${f.seconds.toFixed(2)}s/${f.calls}`).join(', ');
    out(`    SQL calls (s/calls): ${top}`);
  }
}

export function printMeasurement(r: Measurement): void {
  heading(`${r.store}, ${r.runs.toLocaleString('en-US')} runs`);
  if (r.seed) {
    const c = r.seed.counts;
    out(`  seeded: ${c.runs} runs, ${c.steps} steps, ${c.feedback} feedback, ${c.goals} goals, ${c.failed} failed with an error class; ` +
      `${mb(c.bytes)} MB on disk; loaded in ${s(r.seed.seconds, 1)}, indexes rebuilt in ${s(r.seed.indexSeconds, 1)}, ` +
      `vacuum analyze ${s(r.seed.vacuumSeconds, 1)} (none of it in the passes)`);
    if (r.seed.upgraded) out(`  upgraded the seeded log: ${r.seed.upgraded.migrations.join(', ')} applied in ${s(r.seed.upgraded.seconds, 1)} (not in the passes)`);
    if (r.seed.applied) out(`  applied ${r.seed.applied.file} before the passes, in ${s(r.seed.applied.seconds, 1)}`);
  }
  if (r.full) passLines('full pass', r.full);
  if (r.increment) out(`  +${r.increment.runs} runs (seeded in ${s(r.increment.seedSeconds, 1)})`);
  if (r.incremental) passLines('incremental pass', r.incremental);
  if (r.leftAfterIncremental !== undefined) out(`  left unread after the incremental pass: ${r.leftAfterIncremental ? JSON.stringify(r.leftAfterIncremental) : 'not checked'}`);
  if (r.rss) {
    out(`  RSS of the bench process: after seeding ${mb(r.rss.afterSeed)} MB, peak in full pass ${mb(r.rss.fullPassPeak)} MB, ` +
      `in incremental pass ${mb(r.rss.incrementalPassPeak)} MB, lifetime peak ${mb(r.rss.lifetimePeak)} MB`);
  }
  if (r.failure) out(`  INCOMPLETE — ${r.failure}`);
}

export function printTargets(list: Target[]): void {
  heading('targets');
  for (const t of list) out(`${t.pass ? 'PASS' : 'MISS'}  ${t.name.padEnd(48)} ${String(t.value).padStart(8)}  (target ${t.limit})`);
}

export function machine(): Record<string, unknown> {
  const cpu = cpus();
  return { node: process.version, cpus: cpu.length, cpuModel: cpu[0]?.model.trim(), memGb: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine slows the passes: the 1-minute load average when the bench ended.
    loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 };
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The compact figures of one measurement for the JSON line. */
export function figures(r: Measurement): Record<string, unknown> {
  const per = (p: PassFigure) => Object.fromEntries(Object.entries(p.analysts).map(([k, a]) =>
    [k, { seconds: round(a.seconds), calls: a.calls.length, rowsRead: a.rowsRead, ...(a.stoppedAfterBudget ? { stopped: true } : {}),
      ...(a.error ? { error: a.error } : {}) }]));
  return {
    store: r.store, runs: r.runs,
    ...(r.seed ? { steps: r.seed.counts.steps, feedback: r.seed.counts.feedback, goals: r.seed.counts.goals, failedRuns: r.seed.counts.failed,
      dbMb: mb(r.seed.counts.bytes), seedSeconds: round(r.seed.seconds), indexSeconds: round(r.seed.indexSeconds), vacuumSeconds: round(r.seed.vacuumSeconds),
      ...(r.seed.upgraded ? { upgraded: r.seed.upgraded.migrations, upgradeSeconds: round(r.seed.upgraded.seconds) } : {}),
      ...(r.seed.applied ? { applied: r.seed.applied.file, applySeconds: round(r.seed.applied.seconds) } : {}) } : {}),
    ...(r.full ? { fullPassSeconds: round(r.full.seconds), ...(r.full.incomplete ? { fullPassIncomplete: true } : {}), fullPass: per(r.full),
      fullPassRpc: r.full.rpc, fullPassLoadAvg: r.full.loadAvg1m } : {}),
    ...(r.incremental ? { incrementalRuns: r.increment?.runs, incrementalPassSeconds: round(r.incremental.seconds),
      ...(r.incremental.incomplete ? { incrementalPassIncomplete: true } : {}), incrementalPass: per(r.incremental),
      incrementalPassRpc: r.incremental.rpc, incrementalPassLoadAvg: r.incremental.loadAvg1m } : {}),
    ...(r.leftAfterIncremental !== undefined ? { leftUnread: r.leftAfterIncremental } : {}),
    ...(r.rss ? { peakRssMb: mb(r.rss.lifetimePeak), passPeakRssMb: mb(Math.max(r.rss.fullPassPeak, r.rss.incrementalPassPeak)) } : {}),
    ...(r.failure ? { failure: r.failure } : {}),
  };
}

export function finish(figuresByRun: Record<string, unknown>, list: Target[]): void {
  printTargets(list);
  const pass = list.every((t) => t.pass);
  out(JSON.stringify({ bench: 'analysts', ...figuresByRun, machine: machine(),
    targets: Object.fromEntries(list.map((t) => [t.name, { value: t.value, limit: t.limit, pass: t.pass }])), targetsMet: pass }));
}
