import { afterAll, expect, test } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { Store } from '../../src/store/store.js';
import { SupabaseTransport } from '../../src/store/supabase/supabase-transport.js';
import { startRpcStandin, type RpcStandin } from '../fakes/postgrest-rpc-standin.js';

// Supabase is migrated by `supabase db push`, not by the app: at start the app compares every function it calls
// (with the arguments it sends) against pg_proc, through the same rpc path it uses for everything else.
let standin: RpcStandin | undefined;
afterAll(async () => { await standin?.close(); });

test('a Supabase database missing functions the app calls is refused at start, naming them', async () => {
  const sql = await openPglite();
  await migrate(sql);
  standin = await startRpcStandin(sql, 'service-role-key');
  const store = new Store(new SupabaseTransport(standin.url, 'service-role-key'));
  await expect(store.checkSchema()).resolves.toBeUndefined();

  // A database that got half an upgrade: one function gone, another with an argument the app sends missing.
  await sql.exec(`drop function agent_promote(text, integer, text, text);
    drop function run_thread_agent(text, text, text);
    create function run_thread_agent(p_workspace_id text, p_channel_id text) returns jsonb language sql as $$ select null::jsonb $$;`);
  const error = await store.checkSchema().catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'STORE_SCHEMA_OUTDATED', details: { missing: ['agent_promote', 'run_thread_agent'] } });
  expect((error as Error).message).toMatch(/missing 2 functions this app calls \(agent_promote, run_thread_agent\).*supabase db push/);
});
