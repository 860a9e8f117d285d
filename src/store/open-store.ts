import type { StoreChoice } from '../config/load-config.js';
import { migrate } from './migrate.js';
import { openPglite, type LockedSqlClient } from './pglite/pglite-client.js';
import { openPostgres } from './postgres/pg-client.js';
import { classifySqlError, SqlTransport } from './sql-transport.js';
import { Store } from './store.js';
import { SupabaseTransport } from './supabase/supabase-transport.js';

/**
 * Opens the configured store. PGlite and Postgres are migrated here (tracked, idempotent, safe with two
 * instances starting at once); Supabase is migrated by `supabase db push`, so only its version is checked.
 */
export async function openStore(choice: StoreChoice, options: { fetch?: typeof fetch } = {}): Promise<Store> {
  if (choice.kind === 'supabase') {
    const store = new Store(new SupabaseTransport(choice.url, choice.serviceRoleKey, options));
    await store.checkSchema();
    return store;
  }
  const client = choice.kind === 'postgres' ? openPostgres(choice.connectionString) : await openPglite(choice.dataDir);
  try {
    await migrate(client);
  } catch (error) {
    await client.close().catch(() => {});
    throw classifySqlError(error);
  }
  const lock = (client as LockedSqlClient).lock;
  const store = new Store(new SqlTransport(choice.kind, client, classifySqlError), lock ? { control: { publish: (endpoint) => lock.setControl(endpoint) } } : {});
  await store.checkSchema();
  return store;
}

/** Who holds an embedded database's directory, and its control endpoint (for `npm run analyze`); null when nobody does. */
export { readLockHolder } from './pglite/data-dir-lock.js';
