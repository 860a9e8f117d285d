import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsHandler, type MetricsSource } from './metrics-endpoint.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * METRICS_PORT: /metrics on a port of its own (private network, sidecar scraper), in every mode — console mode
 * included, which has no other server. Anything but GET /metrics is 404.
 */
export async function startMetricsServer(port: number, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') return void handler(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => { server.off('error', reject); resolve(); });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Where /metrics is served: METRICS_PORT set, on that port to any client (behind METRICS_TOKEN when set) and
 * not on PORT; otherwise a handler for the main server, answering loopback clients or the token.
 */
export async function serveMetrics(settings: { token?: string; port?: number }, source: MetricsSource):
  Promise<{ onMainPort?: MetricsRequestHandler; server?: MetricsServer }> {
  const token = settings.token ? { token: settings.token } : {};
  if (settings.port === undefined) return { onMainPort: metricsHandler(source, { ...token, loopbackOnly: true }) };
  return { server: await startMetricsServer(settings.port, metricsHandler(source, { ...token, loopbackOnly: false })) };
}
