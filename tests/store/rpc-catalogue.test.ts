import { afterAll, beforeAll, expect, test } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { RPC, checkedArgs, type RpcName } from '../../src/store/rpc.js';
import type { SqlClient } from '../../src/store/sql-client.js';

// The Supabase transport sends `rpc(name, {named args})`. Every name and argument it can send is in RPC
// (transports refuse anything else); here each entry is proved against pg_proc after the migrations ran.
let sql: SqlClient;
beforeAll(async () => {
  sql = await openPglite();
  await migrate(sql);
});
afterAll(async () => { await sql.close(); });

interface ProcRow { proname: string; argnames: string[] | null; nargs: number; ndefaults: number; rettype: string }

test.each(Object.keys(RPC) as RpcName[])('rpc %s exists in the migrations with exactly these argument names', async (name) => {
  const rows = await sql.query<ProcRow>(
    `select proname, proargnames as argnames, pronargs as nargs, pronargdefaults as ndefaults, prorettype::regtype::text as rettype
       from pg_proc where proname = $1 and pronamespace = 'public'::regnamespace`, [name]);
  expect(rows, `function ${name} missing from supabase/migrations`).toHaveLength(1);
  const proc = rows[0]!;
  const declared: readonly string[] = RPC[name];
  expect([...(proc.argnames ?? [])].sort()).toEqual([...declared].sort());
  expect(proc.rettype).toBe('jsonb');
});

test('the public schema has no store function the registry does not know (nothing unreviewed is exposed)', async () => {
  const rows = await sql.query<{ proname: string }>(
    `select proname from pg_proc where pronamespace = 'public'::regnamespace and prorettype = 'jsonb'::regtype`);
  // SQL-only helpers that return jsonb, reviewed: not rpcs, revoked from PUBLIC like every store function.
  const internalHelpers = new Set(['budget_view']);
  const unknown = rows.map((r) => r.proname).filter((n) => !(n in RPC) && !internalHelpers.has(n));
  expect(unknown).toEqual([]);
});

test('a transport refuses an argument name the registry does not declare', () => {
  expect(() => checkedArgs('run_get', { p_run_id: 'x', p_bogus: 1 })).toThrow(/no argument p_bogus/);
  expect(checkedArgs('run_get', { p_run_id: 'x', unused: undefined } as never)).toEqual([['p_run_id', 'x']]);
});
