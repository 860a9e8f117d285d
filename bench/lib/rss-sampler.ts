/** Samples a process's resident set (VmRSS in /proc/<pid>/status) while a phase runs: its peak during that phase. */
import { readFileSync } from 'node:fs';

export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : Number.NaN;
}

export function sampleRss(pid: number, everyMs = 100): { stop(): number } {
  let peak = residentBytes(pid);
  const timer = setInterval(() => { try { peak = Math.max(peak, residentBytes(pid)); } catch { /* exited */ } }, everyMs);
  return { stop() { clearInterval(timer); try { peak = Math.max(peak, residentBytes(pid)); } catch { /* exited */ } return peak; } };
}
