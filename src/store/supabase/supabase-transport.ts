import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import type { AppError } from '../../errors.js';
import { checkedArgs, type RpcArgs, type RpcName, type RpcTransport } from '../rpc.js';
import { isConnectionSqlState, queryFailed, sqlStateOf, storeUnavailable } from '../store-errors.js';

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
      throw storeUnavailable(`Supabase unreachable: ${(error as Error).message}`, error);
    }
    const { data, error, status } = response;
    if (error) throw classifySupabaseError(name, status, error);
    return data ?? null;
  }

  async close(): Promise<void> {
    // supabase-js holds no sockets of its own between requests.
  }
}

/**
 * PostgREST's answer, classified like the SQL transports' (store-errors.ts). It forwards the database's SQLSTATE in
 * `code` (08*, 53* → 503; 57* → 500; 22*, 42*, P0001 → 400; 23503/23505 → 409) and uses PGRST000–PGRST003 for its
 * own failures to reach the database; supabase-js reports "no HTTP response at all" as status 0. A gateway's
 * 502/503/504 without a code is the service being down. Everything else is the database refusing the call.
 */
export function classifySupabaseError(name: string, status: number, error: { message: string; code?: string }): AppError {
  const code = error.code ?? '';
  const details = { status, code };
  const sqlstate = sqlStateOf(error);
  const unavailable = status === 0
    || (sqlstate !== undefined && isConnectionSqlState(sqlstate))
    || /^PGRST00[0-3]$/.test(code)
    || (!code && (status === 502 || status === 503 || status === 504));
  return unavailable ? storeUnavailable(`rpc ${name}: ${error.message}`, error, details) : queryFailed(`rpc ${name}: ${error.message}`, error, details);
}
