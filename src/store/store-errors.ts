import { AppError } from '../errors.js';

/**
 * The one rule every transport applies to a failed store call:
 * - STORE_UNAVAILABLE: the database could not be talked to at all (refused or lost connection, server shutting down
 *   or starting, pool could not get a connection, PGlite closed). Nothing about the request is wrong; the same call
 *   may work in a moment, and the run log falls back to its journal (src/journal).
 * - STORE_QUERY_FAILED: the database answered and refused this statement (bad input such as a NUL byte, a constraint,
 *   a missing row raised by our SQL, a type error…). Retrying the same request fails the same way; it is a bug or
 *   odd input, never an outage.
 * Decisions read SQLSTATEs, errno codes and which step failed (connect vs. query), never message text.
 */

/**
 * SQLSTATEs that mean "no usable connection": class 08 (connection exception), 57P01 admin_shutdown,
 * 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or in recovery), 53300 too_many_connections.
 * Everything else the server sends back is a refusal of the statement.
 */
export function isConnectionSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';
}

/** Socket-level errno codes from Node (net/dns): the server was not reached or the connection broke. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

export function isSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SOCKET_ERRORS.has(code);
}

/** A SQLSTATE is five characters of [0-9A-Z]; errno codes (ECONNREFUSED) are longer. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function storeUnavailable(message: string, cause?: unknown, details: Record<string, unknown> = {}): AppError {
  return new AppError('STORE_UNAVAILABLE', message, { ...(cause === undefined ? {} : { cause }), details });
}

export function queryFailed(message: string, cause?: unknown, details: Record<string, unknown> = {}): AppError {
  return new AppError('STORE_QUERY_FAILED', message, { ...(cause === undefined ? {} : { cause }), details });
}

/**
 * Classifies what a SQL driver (pg, PGlite) threw while running a statement. The drivers' wrappers (pg-client.ts,
 * pglite-client.ts) already turn failures to connect and a closed database into STORE_UNAVAILABLE, so what is left
 * is either a server error with a SQLSTATE, a socket error, or a failure of our own before or after the statement.
 */
export function classifySqlError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const sqlstate = sqlStateOf(error);
  if (sqlstate) {
    return isConnectionSqlState(sqlstate)
      ? storeUnavailable(`database unavailable: ${message}`, error, { sqlstate })
      : queryFailed(message, error, { sqlstate });
  }
  if (isSocketError(error)) return storeUnavailable(`database unavailable: ${message}`, error, { socketCode: (error as { code: string }).code });
  return queryFailed(message, error);
}
