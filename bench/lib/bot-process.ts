/**
 * A bot under test as its own process: the full app (dist/main.js, or src/main.ts through tsx) or the bare
 * passthrough bot (bench/bare-bot.ts), configured by environment only, its logs in a file, with the probe
 * (probe.mjs) preloaded so the bench can read its event-loop delay and memory over IPC.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../../tests/support/postgres-server.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export type BotKind = 'app' | 'bare';
/** How the app is run: compiled (npm run build → node dist/main.js) or straight from the sources through tsx. */
export type Runtime = 'dist' | 'tsx';

export interface ProbeStats {
  lagMs: { p50: number; p99: number; max: number; mean: number };
  rss: number;
  heapUsed: number;
  maxRss: number;
  /** CPU time (user + system) of the process since it started. */
  cpuMs: number;
}

export interface Bot {
  kind: BotKind;
  url: string;
  pid: number;
  logFile: string;
  /** Milliseconds from spawn to the first /health 200. */
  readyMs: number;
  /** The probe's figures; reset=true starts a new event-loop delay window. */
  read(reset?: boolean): Promise<ProbeStats>;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

export interface SpawnOptions {
  kind: BotKind;
  runtime: Runtime;
  env: Record<string, string>;
  /** Write a V8 CPU profile (.cpuprofile) of the process into this directory when it exits. */
  cpuProfileDir?: string;
  /** Give up waiting for /health after this long. */
  readyTimeoutMs?: number;
  /** Poll /health this often (the start bench polls finely). */
  pollMs?: number;
  /** Extra node options placed before the entry point (local experiments, e.g. an --import hook). */
  nodeArgs?: string[];
}

export function runtimeFromEnv(): Runtime {
  const value = process.env.BENCH_RUNTIME ?? 'dist';
  if (value !== 'dist' && value !== 'tsx') throw new Error(`BENCH_RUNTIME must be dist or tsx, not ${value}`);
  return value;
}

const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
  const path = join(dir, entry.name);
  return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
}, 0);

/** dist/ must be built from the current sources: builds it (and says so) when it is missing or older than src/. */
export function ensureBuilt(runtime: Runtime): void {
  if (runtime !== 'dist') return;
  const dist = join(ROOT, 'dist');
  if (existsSync(join(dist, 'main.js')) && newest(dist) >= newest(join(ROOT, 'src'))) return;
  process.stderr.write('bench: dist/ is missing or older than src/; running npm run build first (not timed)\n');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
}

function entryArgs(kind: BotKind, runtime: Runtime): string[] {
  if (kind === 'bare') return ['--import', 'tsx', 'bench/bare-bot.ts'];
  return runtime === 'dist' ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
}

/** Only what the bot needs: the bench's own environment (a DATABASE_URL, a LOG_LEVEL…) must not leak into it. */
function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
}

let logDir: string | undefined;
let logSeq = 0;

export async function spawnBot(options: SpawnOptions): Promise<Bot> {
  const port = await freePort();
  logDir ??= mkdtempSync(join(tmpdir(), 'bench-logs-'));
  const logFile = join(logDir, `${options.kind}-${++logSeq}.log`);
  const log = openSync(logFile, 'w');
  const args = [
    ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
    '--import', './bench/lib/probe.mjs',
    ...(options.nodeArgs ?? []),
    ...entryArgs(options.kind, options.runtime),
  ];
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...baseEnv(), ...options.env, PORT: String(port) },
    stdio: ['ignore', log, log, 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let exitCode: number | null | undefined;
  void exited.then((code) => { exitCode = code; });

  const deadline = started + (options.readyTimeoutMs ?? 60_000);
  let readyMs = Number.NaN;
  while (performance.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${options.kind} exited with ${exitCode} before /health answered 200; see ${logFile}`);
    const ok = await fetch(`${url}/health`).then((r) => { void r.body?.cancel(); return r.status === 200; }, () => false);
    if (ok) { readyMs = performance.now() - started; break; }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 20));
  }
  if (Number.isNaN(readyMs)) {
    child.kill('SIGKILL');
    throw new Error(`${options.kind} did not answer /health 200 within ${options.readyTimeoutMs ?? 60_000} ms; see ${logFile}`);
  }

  let readSeq = 0;
  return {
    kind: options.kind, url, pid: child.pid!, logFile, readyMs,
    read(reset = false) {
      const id = ++readSeq;
      return new Promise<ProbeStats>((resolve, reject) => {
        const timer = setTimeout(() => { child.off('message', onMessage); reject(new Error(`${options.kind}: probe did not answer`)); }, 10_000);
        const onMessage = (message: any) => {
          if (message?.probe !== 'stats' || message.id !== id) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(message as ProbeStats);
        };
        child.on('message', onMessage);
        child.send({ probe: 'read', id, reset });
      });
    },
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
