import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SqlClient } from '../../src/store/sql-client.js';

/**
 * The slice of PostgREST that supabase-js `.rpc()` speaks, on 127.0.0.1: `POST /rest/v1/rpc/<fn>` with a JSON
 * object of named arguments, answered by running the function on a real SQL engine (PGlite or Postgres).
 * Like PostgREST it resolves the function by name AND argument names from pg_proc, answers 404 PGRST202 when
 * none matches, checks the apikey / bearer headers, and maps SQL errors to PostgREST's HTTP statuses with {code, message}.
 * (PostgREST itself cannot run here: no Docker, not packaged for Debian.)
 */
export interface RpcStandin {
  url: string;
  calls: Array<{ fn: string; args: Record<string, unknown> }>;
  /** Make the next n requests fail at the HTTP level (simulates an outage). */
  failNext(n: number, status?: number): void;
  /** Until called with null, every request is answered as a gateway in front of a dead PostgREST answers: this
   *  HTTP status with an HTML body and no PostgREST error code (as Supabase's edge does with 502/503/504). */
  gatewayDown(status: number | null): void;
  close(): Promise<void>;
}

export async function startRpcStandin(sql: SqlClient, serviceKey: string): Promise<RpcStandin> {
  const calls: RpcStandin['calls'] = [];
  let failures = 0;
  let failStatus = 503;
  let gatewayStatus: number | null = null;
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const match = /^\/rest\/v1\/rpc\/([a-z_][a-z0-9_]*)$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return send(404, { code: 'PGRST404', message: 'not found' });
    if (req.headers.apikey !== serviceKey || req.headers.authorization !== `Bearer ${serviceKey}`) {
      return send(401, { code: 'PGRST301', message: 'invalid JWT' });
    }
    if (gatewayStatus !== null) {
      res.writeHead(gatewayStatus, { 'content-type': 'text/html' });
      return res.end(`<html><head><title>${gatewayStatus} Bad Gateway</title></head><body><center><h1>${gatewayStatus} Bad Gateway</h1></center></body></html>`);
    }
    if (failures > 0) {
      failures--;
      return send(failStatus, { code: 'PGRST000', message: 'upstream unavailable' });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const args = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    const fn = match[1]!;
    calls.push({ fn, args });
    const names = Object.keys(args);
    const candidates = await sql.query<{ argnames: string[] | null; required: number }>(
      `select coalesce(proargnames, '{}') as argnames, (pronargs - pronargdefaults) as required
         from pg_proc where proname = $1 and pronamespace = 'public'::regnamespace`, [fn]);
    const found = candidates.some((c) => {
      const argnames = c.argnames ?? [];
      return names.every((n) => argnames.includes(n)) && argnames.slice(0, c.required).every((n) => names.includes(n));
    });
    if (!found) {
      return send(404, { code: 'PGRST202', message: `Could not find the function public.${fn}(${names.join(', ')}) in the schema cache` });
    }
    const params = names.map((n) => {
      const v = args[n];
      return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
    });
    try {
      const rows = await sql.query<{ result: unknown }>(
        `select ${fn}(${names.map((n, i) => `${n} => $${i + 1}`).join(', ')}) as result`, params);
      send(200, rows[0]?.result ?? null);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      // The SQL engine itself could not be reached: PostgREST answers 503 PGRST000/PGRST001 then.
      if (e.code === 'STORE_UNAVAILABLE') return send(503, { code: 'PGRST001', message: e.message ?? 'database unavailable', details: null, hint: null });
      const code = e.code ?? 'P0001';
      send(postgrestStatus(code), { code, message: e.message ?? String(error), details: null, hint: null });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    failNext(n, status = 503) { failures = n; failStatus = status; },
    gatewayDown(status) { gatewayStatus = status; },
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** PostgREST's SQLSTATE → HTTP status table (docs.postgrest.org, references/errors: "HTTP Status Codes"), the rows the store can meet. */
export function postgrestStatus(sqlstate: string): number {
  if (sqlstate.startsWith('08')) return 503;
  if (sqlstate === '23503' || sqlstate === '23505') return 409;
  if (sqlstate === '25006') return 405;
  if (sqlstate === '53400') return 500;
  if (sqlstate.startsWith('53')) return 503;
  if (/^(09|25|2D|38|39|3B|40|54|55|57|58|F0|HV|P0|XX)/.test(sqlstate) && sqlstate !== 'P0001') return 500;
  if (sqlstate === '42883' || sqlstate === '42P01') return 404;
  if (sqlstate === '42501') return 403;
  return 400;
}
