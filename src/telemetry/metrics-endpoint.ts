import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientAddress, isLoopback } from '../ops/client-address.js';

export interface MetricsAccess {
  /** METRICS_TOKEN: when set, `Authorization: Bearer <token>` is required from every client. */
  token?: string;
  /**
   * Without a token: true answers loopback clients only (the main port faces the internet in HTTP mode,
   * since Slack must reach it); false answers anyone (METRICS_PORT, a port meant for the private network).
   */
  loopbackOnly: boolean;
}

export type MetricsSource = () => Promise<{ contentType: string; body: string }>;

/** Hashing first gives both sides one length, so the comparison takes the same time whatever was sent. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/** GET /metrics in the Prometheus text format, behind the access rule above. */
export function metricsHandler(source: MetricsSource, access: MetricsAccess) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (access.token !== undefined) {
      if (!tokenMatches(req.headers.authorization, access.token)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="metrics"', 'content-type': 'text/plain' });
        return void res.end('401: /metrics needs Authorization: Bearer <METRICS_TOKEN>\n');
      }
    } else if (access.loopbackOnly && !isLoopback(clientAddress(req))) {
      res.writeHead(403, { 'content-type': 'text/plain' });
      return void res.end('403: /metrics answers only local clients here; set METRICS_TOKEN (or METRICS_PORT) to scrape from elsewhere\n');
    }
    try {
      const { contentType, body } = await source();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('500: metrics could not be collected\n');
    }
  };
}
