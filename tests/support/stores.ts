import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';

/** A migrated in-memory PGlite store. */
export async function pgliteStore(): Promise<Store> {
  const client = await openPglite();
  await migrate(client);
  return new Store(new SqlTransport('pglite', client, classifySqlError));
}

export const postgresAvailable = (): boolean => inject('postgresUrl') !== '';

/** A fresh database on the shared test server; returns its URL. */
export async function createTestDatabase(): Promise<string> {
  const admin = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  return admin.replace(/\/postgres$/, `/${name}`);
}

/** A migrated store on a fresh database of the real PostgreSQL server. */
export async function postgresStore(url?: string): Promise<Store> {
  const client = openPostgres(url ?? (await createTestDatabase()), { max: 4 });
  await migrate(client);
  return new Store(new SqlTransport('postgres', client, classifySqlError));
}
