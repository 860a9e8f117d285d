import { Store } from '../../src/store/store.js';
import { SupabaseTransport } from '../../src/store/supabase/supabase-transport.js';
import { defineStoreContract } from '../contract/store-contract.js';

// Opt-in: `npm run test:live` with SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY of a scratch project on which
// `supabase db push --include-seed` has run. Writes test rows.
const url = process.env.SUPABASE_URL;
const key = process.env.SUPABASE_SERVICE_ROLE_KEY;

defineStoreContract('live Supabase', async () => {
  const store = new Store(new SupabaseTransport(url!, key!));
  await store.checkSchema();
  return store;
}, { skip: !url || !key });
