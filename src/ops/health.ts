import type { IncomingMessage, ServerResponse } from 'node:http';

/** A check's answer: true healthy, false down, 'degraded' working with less (e.g. the database down, answers still flowing). */
export type CheckResult = boolean | 'degraded';

/** What /health reports on. */
export interface HealthCheck {
  ready(): boolean;
  checks: Record<string, () => Promise<CheckResult>>;
  /** Extra state shown in the body that does not decide the status (e.g. each optional MCP server, the journal backlog). */
  details?: () => Record<string, unknown>;
}

/**
 * GET /health: 200 with {"status":"ok"} when the app is ready and every check passes; 200 with "degraded" when a
 * check says the app works with less (a load balancer keeps sending traffic: answers flow); 503 otherwise, with the
 * state of each check. Checks time out after 2 s so a hung dependency reads as down.
 */
export function healthHandler(health: HealthCheck) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const results: Record<string, CheckResult> = {};
    await Promise.all(Object.entries(health.checks).map(async ([name, check]) => {
      results[name] = await Promise.race([
        check().catch(() => false as const),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 2000).unref()),
      ]);
    }));
    const values = Object.values(results);
    const up = health.ready() && values.every((v) => v !== false);
    const status = !up ? 'unavailable' : values.includes('degraded') ? 'degraded' : 'ok';
    res.writeHead(up ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ status, ready: health.ready(), checks: results, ...health.details?.() }));
  };
}
