import { afterAll } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { Store } from '../../src/store/store.js';
import { SupabaseTransport } from '../../src/store/supabase/supabase-transport.js';
import { startRpcStandin, type RpcStandin } from '../fakes/postgrest-rpc-standin.js';
import { defineStoreContract } from './store-contract.js';

// supabase-js over real HTTP to a PostgREST-rpc stand-in that runs each call on a migrated PGlite.
let standin: RpcStandin | undefined;
afterAll(async () => { await standin?.close(); });

defineStoreContract('Supabase transport (supabase-js → rpc stand-in → PGlite)', async () => {
  const sql = await openPglite();
  await migrate(sql);
  standin = await startRpcStandin(sql, 'service-role-test-key');
  return new Store(new SupabaseTransport(standin.url, 'service-role-test-key'));
});
