import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { AppError } from '../../errors.js';
import { checkedArgs, type RpcArgs, type RpcName, type RpcTransport } from '../rpc.js';

/**
 * The store over Supabase: each operation is `supabase.rpc(fn, namedArgs)` against the SQL functions that
 * `supabase db push` installed from supabase/migrations. Needs the service role key (server side only).
 */
export class SupabaseTransport implements RpcTransport {
  readonly kind = 'supabase' as const;
  private readonly client: SupabaseClient;

  constructor(url: string, serviceRoleKey: string, options: { fetch?: typeof fetch } = {}) {
    this.client = createClient(url, serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      // Node 20 has no global WebSocket and supabase-js builds its realtime client eagerly; we never
      // subscribe, but the client refuses to construct without a transport.
      realtime: { transport: WebSocket as never },
      ...(options.fetch ? { global: { fetch: options.fetch } } : {}),
    });
  }

  async call<N extends RpcName>(name: N, args?: RpcArgs<N>): Promise<unknown> {
    const body = Object.fromEntries(checkedArgs(name, args as Record<string, unknown>));
    let response;
    try {
      response = await this.client.rpc(name, body);
    } catch (error) {
      throw new AppError('STORE_UNAVAILABLE', `Supabase unreachable: ${(error as Error).message}`, { cause: error });
    }
    const { data, error, status } = response;
    if (error) {
      // supabase-js reports network failures as an error with status 0 (no HTTP response at all).
      const unavailable = status === 0 || status >= 500 || /fetch failed|network/i.test(error.message);
      throw new AppError(unavailable ? 'STORE_UNAVAILABLE' : 'STORE_QUERY_FAILED', `rpc ${name}: ${error.message}`, {
        cause: error,
        details: { status, code: error.code },
      });
    }
    return data ?? null;
  }

  async close(): Promise<void> {
    // supabase-js holds no sockets of its own between requests.
  }
}
