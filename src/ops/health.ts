import type { IncomingMessage, ServerResponse } from 'node:http';

/** What /health reports on: each check answers true when healthy. */
export interface HealthCheck {
  ready(): boolean;
  checks: Record<string, () => Promise<boolean>>;
  /** Extra state shown in the body that does not decide the status (e.g. each optional MCP server). */
  details?: () => Record<string, unknown>;
}

/**
 * GET /health: 200 with {"status":"ok"} when the app is ready and every check passes (the store answers),
 * 503 otherwise, with the state of each check. Checks time out after 2 s so a hung database reads as down.
 */
export function healthHandler(health: HealthCheck) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const results: Record<string, boolean> = {};
    await Promise.all(Object.entries(health.checks).map(async ([name, check]) => {
      results[name] = await Promise.race([
        check().catch(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000).unref()),
      ]);
    }));
    const ok = health.ready() && Object.values(results).every(Boolean);
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ status: ok ? 'ok' : 'unavailable', ready: health.ready(), checks: results, ...health.details?.() }));
  };
}
