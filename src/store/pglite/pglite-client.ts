import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { SqlClient } from '../sql-client.js';

/** Embedded Postgres (WASM) in DATA_DIR, or in memory when dataDir is undefined (tests). */
export async function openPglite(dataDir?: string): Promise<SqlClient> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  return wrap(db, async () => { await db.close(); });
}

function wrap(db: PGlite | Transaction, close: () => Promise<void>): SqlClient {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await db.query<T>(sql, params);
      return result.rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      if (!('transaction' in db)) return fn(wrap(db, close));
      return db.transaction((tx) => fn(wrap(tx, async () => {})));
    },
    close,
  };
}
