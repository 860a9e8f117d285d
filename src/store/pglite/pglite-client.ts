import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { SqlClient } from '../sql-client.js';
import { storeUnavailable } from '../store-errors.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';

/** A PGlite client; opened from a directory, it holds that directory's lock until closed. */
export interface LockedSqlClient extends SqlClient {
  /** Present when opened from a directory: holder metadata, and where to publish the control endpoint. */
  readonly lock?: DataDirLock;
}

/**
 * Embedded Postgres (WASM) in DATA_DIR, or in memory when dataDir is undefined (tests; no lock).
 * Throws STORE_LOCKED when another live process has the directory.
 */
export async function openPglite(dataDir?: string): Promise<LockedSqlClient> {
  if (!dataDir) {
    const db = await PGlite.create();
    return wrap(db, async () => { await db.close(); });
  }
  // The lock comes first: PGlite must not touch files another process has open.
  const lock = await acquireDataDirLock(dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(lock.dataDir);
  } catch (error) {
    lock.release();
    throw error;
  }
  // Released only once PGlite closed cleanly; if close fails, the lock stays until this process exits.
  return { ...wrap(db, async () => { await db.close(); lock.release(); }), lock };
}

/**
 * PGlite runs in this process, so "unavailable" has one meaning: it was closed (shutdown, or after a fatal error).
 * Its statement errors carry a SQLSTATE like a server's and are classified by classifySqlError.
 */
function wrap(db: PGlite | Transaction, close: () => Promise<void>): SqlClient {
  const open = () => {
    if (db instanceof PGlite && db.closed) throw storeUnavailable('the embedded database (PGlite) is closed', undefined, { step: 'closed' });
  };
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    open();
    try {
      return await work();
    } catch (error) {
      open(); // closed while the statement ran: that, not the statement, is why it failed
      throw error;
    }
  };
  return {
    query: <T>(sql: string, params: unknown[] = []) => guard(async () => (await db.query<T>(sql, params)).rows),
    exec: (sql: string) => guard(async () => { await db.exec(sql); }),
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
      if (!('transaction' in db)) return fn(wrap(db, close));
      return db.transaction((tx) => fn(wrap(tx, async () => {})));
    },
    close,
  };
}
