import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

export type ControlHandler = (body: Record<string, unknown>) => Promise<unknown>;

/**
 * A loopback-only HTTP endpoint through which other processes on this machine hand work to the app that owns the
 * embedded database (`npm run analyze` while the app runs: two processes must never open one PGlite directory).
 * Bound to 127.0.0.1 on a free port; every request needs the bearer token, which is published only in a file in
 * the data directory readable by its owner.
 */
export async function startControlServer(routes: Record<string, ControlHandler>, logger: Logger): Promise<{ url: string; token: string; close(): Promise<void> }> {
  const token = randomBytes(32).toString('hex');
  const expected = Buffer.from(`Bearer ${token}`);
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return send(401, { error: 'unauthorized' });
    const route = routes[(req.url ?? '').replace(/^\//, '')];
    if (req.method !== 'POST' || !route) return send(404, { error: 'no such route' });
    try {
      send(200, await route(await readJson(req)));
    } catch (error) {
      logger.warn({ err: error, route: req.url }, 'control request failed');
      send(500, { error: (error as Error).message ?? String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, token,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}
