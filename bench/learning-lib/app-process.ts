import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A free TCP port on 127.0.0.1 (the app's PORT must be known before it starts, to sign requests to it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface AppProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<number | null>;
}

/**
 * The real app in its own process (npm start's entry, run from source with tsx), in HTTP mode: it reads its
 * configuration from the environment like any deployment. Its JSON logs go to a file for diagnosis.
 */
export async function startAppProcess(env: Record<string, string>, logFile: string, cwd: string): Promise<AppProcess> {
  const port = Number(env.PORT);
  // tsx resolved from this repository (the app's cwd is its data directory, which has no node_modules).
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), `${REPO}src/main.ts`], {
    cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const code = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 250))]);
    if (code !== 'running') throw new Error(`the app exited with status ${code} while starting; see ${logFile}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`the app did not become healthy within 120 s; see ${logFile}`); }
  }
  return {
    url, port, child,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      log.end();
      return code;
    },
  };
}
