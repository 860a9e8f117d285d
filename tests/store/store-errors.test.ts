import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';
import { classifySupabaseError, SupabaseTransport } from '../../src/store/supabase/supabase-transport.js';
import { startRpcStandin, type RpcStandin } from '../fakes/postgrest-rpc-standin.js';
import { freePort, startPostgresServer, type PostgresServer } from '../support/postgres-server.js';
import { postgresAvailable } from '../support/stores.js';

// A query the database refuses is STORE_QUERY_FAILED; only "cannot talk to the database" is STORE_UNAVAILABLE.
// Each transport is driven into both for real: a NUL byte PostgreSQL rejects (22021), a check constraint (23514),
// a missing row our SQL raises (P0002); a closed PGlite, a stopped server, a terminated backend, a pool that cannot
// get a connection, PostgREST's 503 and no HTTP answer at all.

const NUL_RUN = { workspaceId: 'T1', surface: 'test' as const, requestText: 'a\u0000b' };

async function codeOf(promise: Promise<unknown>): Promise<{ code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected the call to fail');
}

describe('PGlite', () => {
  test('a refused query is STORE_QUERY_FAILED with its SQLSTATE; a closed database is STORE_UNAVAILABLE', async () => {
    const sql = await openPglite();
    await migrate(sql);
    const store = new Store(new SqlTransport('pglite', sql, classifySqlError));
    expect(await codeOf(store.runs.start(NUL_RUN))).toMatchObject({ code: 'STORE_QUERY_FAILED', details: { sqlstate: '22021' } });
    const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'test' });
    expect(await codeOf(store.runs.finish(run.id, { status: 'bogus' as never }))).toMatchObject({ code: 'STORE_QUERY_FAILED', details: { sqlstate: '23514' } });
    expect(await codeOf(store.runs.addStep('00000000-0000-0000-0000-000000000000', { kind: 'note', status: 'ok' })))
      .toMatchObject({ code: 'STORE_QUERY_FAILED', details: { sqlstate: 'P0002' } });
    await store.close();
    expect(await codeOf(store.runs.start({ workspaceId: 'T1', surface: 'test' }))).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await store.ping()).toBe(false);
  });
});

describe.skipIf(!postgresAvailable())('PostgreSQL server', () => {
  let server: PostgresServer;
  let store: Store;
  let url: string;
  beforeAll(async () => {
    server = (await startPostgresServer())!;
    url = server.url;
    store = new Store(new SqlTransport('postgres', openPostgres(url, { max: 2, connectionTimeoutMillis: 1000 }), classifySqlError));
    await migrate(openPostgres(url, { max: 1 }));
  });
  afterAll(async () => {
    await store?.close().catch(() => {});
    server?.stop();
  });

  test('a NUL byte and a check constraint are refused queries, not an outage', async () => {
    expect(await codeOf(store.runs.start(NUL_RUN))).toMatchObject({ code: 'STORE_QUERY_FAILED', details: { sqlstate: '22021' } });
    const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'test' });
    expect(await codeOf(store.runs.finish(run.id, { status: 'bogus' as never }))).toMatchObject({ code: 'STORE_QUERY_FAILED', details: { sqlstate: '23514' } });
    // The connection that carried the refused statements is still good.
    expect(await store.ping()).toBe(true);
  });

  test('a backend terminated mid-statement (57P01) is STORE_UNAVAILABLE; the pool recovers', async () => {
    const client = openPostgres(url, { max: 1 });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const pid = Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid'))[0]!.pid);
      const sleeping = client.query('select pg_sleep(30)').catch((e: unknown) => e);
      for (let i = 0; i < 200; i++) {
        const { rows } = await admin.query(`select state from pg_stat_activity where pid = $1`, [pid]);
        if (rows[0]?.state === 'active') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await admin.query('select pg_terminate_backend($1)', [pid]);
      const error = classifySqlError(await sleeping);
      expect(error.code).toBe('STORE_UNAVAILABLE');
      // The broken connection was discarded, not pooled: the next statement gets a fresh one.
      expect(await client.query('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await client.close();
    }
  });

  test('a stopped server is STORE_UNAVAILABLE (connection refused), and answers again once started', async () => {
    server.halt();
    try {
      expect(await codeOf(store.runs.start({ workspaceId: 'T1', surface: 'test' }))).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(await store.ping()).toBe(false);
    } finally {
      server.resume();
    }
    expect(await store.ping()).toBe(true);
  });

  test('a server that accepts TCP but never answers: the pool timeout is STORE_UNAVAILABLE', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => { sockets.push(socket); });
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    const client = openPostgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { max: 1, connectionTimeoutMillis: 300 });
    try {
      const error = await codeOf(new SqlTransport('postgres', client, classifySqlError).call('app_ping'));
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { step: 'connect' } });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await client.close().catch(() => {});
    }
  });
});

describe('Supabase (supabase-js → PostgREST rpc stand-in → PGlite)', () => {
  let standin: RpcStandin;
  let store: Store;
  beforeAll(async () => {
    const sql = await openPglite();
    await migrate(sql);
    standin = await startRpcStandin(sql, 'service-role-test-key');
    store = new Store(new SupabaseTransport(standin.url, 'service-role-test-key'));
  });
  afterAll(async () => { await standin?.close(); });

  test('refused queries (400, and 500 for a PL/pgSQL raise) are STORE_QUERY_FAILED; PostgREST 503 and no answer are STORE_UNAVAILABLE', async () => {
    expect(await codeOf(store.runs.start(NUL_RUN))).toMatchObject({ code: 'STORE_QUERY_FAILED', details: { status: 400, code: '22021' } });
    expect(await codeOf(store.runs.addStep('00000000-0000-0000-0000-000000000000', { kind: 'note', status: 'ok' })))
      .toMatchObject({ code: 'STORE_QUERY_FAILED', details: { status: 500, code: 'P0002' } });
    standin.failNext(1, 503);
    expect(await codeOf(store.runs.start({ workspaceId: 'T1', surface: 'test' }))).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { status: 503 } });
    await standin.close();
    expect(await codeOf(store.runs.start({ workspaceId: 'T1', surface: 'test' }))).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { status: 0 } });
  });

  test('PostgREST statuses: forwarded connection SQLSTATEs and PGRST000-003 are unavailability, whatever the HTTP status', () => {
    const cases: Array<[number, string, string]> = [
      [503, '08006', 'STORE_UNAVAILABLE'], [500, '57P01', 'STORE_UNAVAILABLE'], [503, '57P03', 'STORE_UNAVAILABLE'], [503, 'PGRST000', 'STORE_UNAVAILABLE'],
      [504, 'PGRST003', 'STORE_UNAVAILABLE'], [502, '', 'STORE_UNAVAILABLE'], [0, '', 'STORE_UNAVAILABLE'],
      [400, '22021', 'STORE_QUERY_FAILED'], [409, '23505', 'STORE_QUERY_FAILED'], [400, '42703', 'STORE_QUERY_FAILED'],
      [500, 'P0002', 'STORE_QUERY_FAILED'], [500, '40001', 'STORE_QUERY_FAILED'], [404, 'PGRST202', 'STORE_QUERY_FAILED'],
    ];
    for (const [status, code, expected] of cases) {
      expect(classifySupabaseError('run_start', status, { message: 'x', code }).code, `${status} ${code}`).toBe(expected);
    }
  });
});
