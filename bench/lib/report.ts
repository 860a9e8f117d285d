/** Printing: a heading, aligned rows of figures, a target table, and the closing JSON line every bench ends with. */
import { cpus, loadavg, totalmem } from 'node:os';

export interface Target { name: string; value: number | string; limit: string; pass: boolean }

export function heading(text: string): void {
  process.stdout.write(`\n== ${text}\n`);
}

export function row(label: string, fields: object): void {
  const body = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'number' ? String(v) : JSON.stringify(v)}`).join('  ');
  process.stdout.write(`${label.padEnd(28)} ${body}\n`);
}

export function targets(list: Target[]): void {
  heading('targets');
  for (const t of list) process.stdout.write(`${t.pass ? 'PASS' : 'MISS'}  ${t.name.padEnd(34)} ${String(t.value).padStart(10)}  (target ${t.limit})\n`);
}

export function machine(): Record<string, unknown> {
  const cpu = cpus();
  return { node: process.version, cpus: cpu.length, cpuModel: cpu[0]?.model.trim(), memGb: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine skews latencies (not CPU per request): the 1-minute load average when the bench ended.
    loadAvg1m: Math.round(loadavg()[0]! * 100) / 100 };
}

/** The last line of every bench: one JSON object, {"bench": name, ...figures, targets, pass}. */
export function finish(bench: string, figures: Record<string, unknown>, list: Target[]): void {
  targets(list);
  const pass = list.every((t) => t.pass);
  const out = { bench, ...figures, machine: machine(), targets: Object.fromEntries(list.map((t) => [t.name, { value: t.value, limit: t.limit, pass: t.pass }])), pass };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
