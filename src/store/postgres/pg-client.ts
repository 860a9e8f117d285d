import pg from 'pg';
import type { SqlClient } from '../sql-client.js';
import { isConnectionSqlState, isSocketError, storeUnavailable } from '../store-errors.js';

/**
 * A pooled connection to a Postgres server (DATABASE_URL). Getting a connection and running a statement are two
 * steps here, so a failure is classified by where it happened (see store-errors.ts): no connection from the pool
 * (refused, timed out, pool ended) is STORE_UNAVAILABLE whatever the driver's words; during a statement, a server
 * error (pg.DatabaseError) keeps its SQLSTATE for classifySqlError, a TypeError/RangeError is ours (a parameter the
 * driver cannot send), and any other driver error means the connection broke mid-statement.
 */
export function openPostgres(connectionString: string, options: { max?: number; connectionTimeoutMillis?: number } = {}): SqlClient {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'slack-assistant',
  });
  // An idle client losing its connection emits 'error' on the pool; without a listener Node would crash.
  pool.on('error', () => {});

  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      throw storeUnavailable(`cannot connect to Postgres: ${(error as Error).message}`, error,
        isSocketError(error) ? { socketCode: (error as { code: string }).code } : { step: 'connect' });
    }
  };

  /** One checked-out connection; `broken` once a statement failed for a reason other than the server refusing it. */
  const session = (client: pg.PoolClient) => {
    const state = { broken: undefined as Error | undefined };
    const run = async (sql: string, params?: unknown[]) => {
      try {
        return await client.query(sql, params);
      } catch (error) {
        if (error instanceof pg.DatabaseError) {
          // 57P01 and friends: the server is closing this connection; do not hand it back to the pool.
          if (isConnectionSqlState(error.code ?? '')) state.broken = error;
          throw error;
        }
        if (error instanceof TypeError || error instanceof RangeError) throw error;
        state.broken = error as Error;
        throw storeUnavailable(`connection to Postgres lost: ${(error as Error).message}`, error,
          isSocketError(error) ? { socketCode: (error as { code: string }).code } : { step: 'query' });
      }
    };
    const tx: SqlClient = {
      query: async <R>(sql: string, params: unknown[] = []) => (await run(sql, params)).rows as R[],
      exec: async (sql: string) => { await run(sql); },
      transaction: (inner) => inner(tx),
      close: async () => {},
    };
    return { run, tx, state };
  };

  /** Runs fn on one connection; a broken connection is destroyed rather than returned to the pool. */
  const withSession = async <T>(fn: (s: ReturnType<typeof session>) => Promise<T>): Promise<T> => {
    const client = await connect();
    const s = session(client);
    // A checked-out client has no pool listener: a connection lost now is emitted as 'error' (it would crash the
    // process unheard). The statement in flight fails as well; this only remembers not to pool the client again.
    const onError = (error: Error) => { s.state.broken ??= error; };
    client.on('error', onError);
    try {
      return await fn(s);
    } finally {
      client.removeListener('error', onError);
      client.release(s.state.broken);
    }
  };

  return {
    query: <T>(sql: string, params: unknown[] = []) => withSession(async (s) => (await s.run(sql, params)).rows as T[]),
    exec: (sql: string) => withSession(async (s) => { await s.run(sql); }),
    transaction: <T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> => withSession(async (s) => {
      await s.run('begin');
      try {
        const result = await fn(s.tx);
        await s.run('commit');
        return result;
      } catch (error) {
        if (!s.state.broken) await s.run('rollback').catch(() => {});
        throw error;
      }
    }),
    close: () => pool.end(),
  };
}
