import { AppError } from '../errors.js';
import { checkedArgs, type RpcArgs, type RpcName, type RpcTransport } from './rpc.js';
import type { SqlClient } from './sql-client.js';

/**
 * Calls store functions over SQL: `select fn(p_a => $1, ...) as result`. Named notation means the call
 * carries the same argument names as a Supabase rpc, so both transports exercise identical SQL.
 */
export class SqlTransport implements RpcTransport {
  constructor(
    readonly kind: 'pglite' | 'postgres',
    private readonly client: SqlClient,
    private readonly classify: (error: unknown) => AppError,
  ) {}

  async call<N extends RpcName>(name: N, args?: RpcArgs<N>): Promise<unknown> {
    const entries = checkedArgs(name, args as Record<string, unknown>);
    const named = entries.map(([key], i) => `${key} => $${i + 1}`).join(', ');
    const params = entries.map(([, value]) => toParam(value));
    try {
      const rows = await this.client.query<{ result: unknown }>(`select ${name}(${named}) as result`, params);
      return rows[0]?.result ?? null;
    } catch (error) {
      throw this.classify(error);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** jsonb arguments travel as JSON text; everything else as the driver sends it. */
function toParam(value: unknown): unknown {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/** How a failed statement is classified (STORE_UNAVAILABLE vs STORE_QUERY_FAILED): see store-errors.ts. */
export { classifySqlError } from './store-errors.js';
