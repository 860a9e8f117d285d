import { describe, expect, test } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { createTestDatabase, postgresAvailable } from '../support/stores.js';

describe('migrations', () => {
  test('apply once, are tracked, and a second run applies nothing (PGlite)', async () => {
    const sql = await openPglite();
    const first = await migrate(sql);
    expect(first.applied.length).toBeGreaterThanOrEqual(2);
    const second = await migrate(sql);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);
    const agents = await sql.query<{ n: number }>(`select count(*)::int as n from agent_configs`);
    expect(agents[0]?.n).toBe(6); // the seed is idempotent too
    await sql.close();
  });

  test('every table has row level security enabled', async () => {
    const sql = await openPglite();
    await migrate(sql);
    const rows = await sql.query<{ relname: string }>(
      `select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r' and not relrowsecurity`);
    expect(rows.map((r) => r.relname)).toEqual([]);
    await sql.close();
  });

  test.skipIf(!postgresAvailable())('two instances starting at once on one PostgreSQL server: one applies, both succeed', async () => {
    const url = await createTestDatabase();
    const a = openPostgres(url);
    const b = openPostgres(url);
    const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
    const appliedCounts = [ra.applied.length, rb.applied.length].sort();
    expect(appliedCounts[0]).toBe(0);
    expect(appliedCounts[1]).toBeGreaterThanOrEqual(2);
    const rows = await a.query<{ n: number }>('select count(*)::int as n from app_migrations');
    expect(rows[0]?.n).toBe(appliedCounts[1]);
    await Promise.all([a.close(), b.close()]);
  });

  test.skipIf(!postgresAvailable())('store functions are not executable by PUBLIC', async () => {
    const url = await createTestDatabase();
    const sql = openPostgres(url);
    await migrate(sql);
    const rows = await sql.query<{ proname: string }>(
      `select proname from pg_proc where pronamespace = 'public'::regnamespace and prorettype = 'jsonb'::regtype
          and has_function_privilege('public', oid, 'execute')`);
    expect(rows).toEqual([]);
    await sql.close();
  });
});
