/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per frame (function, file, line) and per package
 * or source folder, from the samples and their time deltas. Idle, GC and "(program)" are kept as their own rows
 * so the shares add up to the whole recording.
 */
import { readFileSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url).pathname;

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface FrameRow { frame: string; where: string; selfMs: number; share: number }
export interface ProfileSummary {
  totalMs: number;
  frames: FrameRow[];
  areas: Array<{ area: string; selfMs: number; share: number }>;
  /** Self time of library and runtime code charged to the nearest function of the app's own code (src/ or dist/) on the stack. */
  appCallers: FrameRow[];
}

/** Where a script lives, shortened: a package name, or the repository path (src/…, dist/…). */
export function areaOf(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return pkg[1]!;
  if (path.startsWith('node:')) return 'node:internal';
  if (path.startsWith(ROOT)) return path.slice(ROOT.length).split('/').slice(0, -1).join('/') || '.';
  return path;
}

function shortFile(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/(.+)$/.exec(path);
  if (pkg) return pkg[1]!;
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}

/**
 * window: only samples taken between these CLOCK_MONOTONIC microseconds (process.hrtime in any process on the
 * machine: V8 stamps profiles with the same clock), e.g. the load phase without the start-up.
 */
export function summarizeProfile(file: string, top = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    // timeDeltas[i] is the time since the previous sample; it belongs to the sample it precedes.
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const frames = new Map<string, { where: string; us: number; frame: string }>();
  const areas = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { callFrame: c } = byId.get(id)!;
    total += us;
    const name = c.functionName || '(anonymous)';
    const where = c.url ? `${shortFile(c.url)}:${c.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const entry = frames.get(key) ?? { where, us: 0, frame: name };
    entry.us += us;
    frames.set(key, entry);
    const area = c.url ? areaOf(c.url) : name;
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const isApp = (url: string) => url.includes(`${ROOT}src/`) || url.includes(`${ROOT}dist/`);
  const callers = new Map<string, { where: string; us: number; frame: string }>();
  for (const [id, us] of selfUs) {
    let node: number | undefined = id;
    while (node !== undefined && !isApp(byId.get(node)!.callFrame.url)) node = parent.get(node);
    if (node === undefined) continue;
    const c = byId.get(node)!.callFrame;
    const where = `${shortFile(c.url)}:${c.lineNumber + 1}`;
    const key = `${c.functionName}@${where}`;
    const entry = callers.get(key) ?? { where, us: 0, frame: c.functionName || '(anonymous)' };
    entry.us += us;
    callers.set(key, entry);
  }
  const share = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    totalMs: Math.round(total / 1000),
    frames: [...frames.values()].sort((a, b) => b.us - a.us).slice(0, top)
      .map((f) => ({ frame: f.frame, where: f.where, selfMs: Math.round(f.us / 1000), share: share(f.us) })),
    appCallers: [...callers.values()].sort((a, b) => b.us - a.us).slice(0, top)
      .map((f) => ({ frame: f.frame, where: f.where, selfMs: Math.round(f.us / 1000), share: share(f.us) })),
    areas: [...areas.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([area, us]) => ({ area, selfMs: Math.round(us / 1000), share: share(us) })),
  };
}
