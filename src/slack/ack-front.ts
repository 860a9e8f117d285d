import { Worker } from 'node:worker_threads';
import { RELAYED_PEER_HEADER } from '../ops/client-address.js';

/**
 * HTTP mode's front door, on its own thread. Node accepts one new connection per turn of the event loop, and
 * under load the main thread's turns are long (model streams, Slack calls, PGlite queries run on it), so the
 * 30th event of a burst on fresh connections waited ~30 turns (measured: ack p99 300–1,300 ms at 30 concurrent,
 * while the app spent ≤ 14 ms between receiving a request and acking it). This thread only accepts, reads, and:
 *  - acknowledges a correctly signed, fresh `event_callback` at once (Slack wants no body for events), then hands
 *    the same request to the main thread's server, where Bolt verifies it again and processes it;
 *  - relays everything else (slash commands, interactions, url_verification, /health) to the main thread and its
 *    answer back, since those answers come from the listeners.
 * Main thread and front talk HTTP over loopback keep-alive connections, which are not accepted anew per request.
 */
export interface AckFront {
  port: number;
  /** Stops accepting, then ends the thread. */
  close(): Promise<void>;
}

export interface AckFrontOptions {
  /** Public port (0: any free one). */
  port: number;
  /** The main thread's server, on 127.0.0.1. */
  upstreamPort: number;
  signingSecret: string;
  /** Called with a short reason when an already acknowledged event could not be handed over (logged by the caller). */
  onHandoverFailed(reason: string): void;
}

interface FrontData { port: number; upstreamPort: number; signingSecret: string; peerHeader: string }
interface FrontModules {
  http: typeof import('node:http');
  crypto: typeof import('node:crypto');
  threads: typeof import('node:worker_threads');
}

/**
 * The thread's code. It runs from its source text (eval), so it must use only its parameters and builtins:
 * no imports, no closures over this module (tsx, vitest and dist/ then all run it the same way).
 */
function frontMain(m: FrontModules, data: FrontData): void {
  const port = m.threads.parentPort!;
  const MAX_BODY = 5 * 1024 * 1024;
  const upstream = new m.http.Agent({ keepAlive: true });

  const withoutHopByHop = (headers: Record<string, string | string[] | undefined>) => {
    const { connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...rest } = headers;
    return rest;
  };
  const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  // Same rules as Bolt's check and slack-app's timestampFresh: v0 HMAC-SHA256 of "v0:ts:body", ±5 minutes.
  const signedAndFresh = (headers: Record<string, string | string[] | undefined>, body: Buffer) => {
    const ts = header(headers['x-slack-request-timestamp']);
    const signature = header(headers['x-slack-signature']);
    const seconds = Number(ts);
    if (!ts || !signature || !Number.isFinite(seconds) || Math.abs(Date.now() / 1000 - seconds) > 300) return false;
    const expected = Buffer.from(`v0=${m.crypto.createHmac('sha256', data.signingSecret).update(`v0:${ts}:`).update(body).digest('hex')}`);
    const given = Buffer.from(signature);
    return given.length === expected.length && m.crypto.timingSafeEqual(given, expected);
  };
  const isEventCallback = (headers: Record<string, string | string[] | undefined>, body: Buffer) => {
    if (!String(header(headers['content-type']) ?? '').startsWith('application/json')) return false;
    try {
      return (JSON.parse(body.toString('utf8')) as { type?: unknown }).type === 'event_callback';
    } catch {
      return false;
    }
  };

  const relay = (req: import('node:http').IncomingMessage, body: Buffer, res?: import('node:http').ServerResponse) => {
    const forward = m.http.request({
      host: '127.0.0.1', port: data.upstreamPort, method: req.method, path: req.url, agent: upstream,
      // The client's address, for checks the main thread makes (a client's own value of this header is replaced).
      headers: { ...withoutHopByHop(req.headers), 'content-length': String(body.length), [data.peerHeader]: req.socket.remoteAddress ?? '' },
    }, (answer) => {
      if (!res) return void answer.resume();
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.pipe(res);
    });
    forward.on('error', (error) => {
      if (res) {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      } else {
        port.postMessage({ kind: 'handover-failed', reason: (error as NodeJS.ErrnoException).code ?? error.message });
      }
    });
    forward.end(body);
  };

  const server = m.http.createServer((req, res) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (size > MAX_BODY) { res.writeHead(413).end(); req.destroy(); return; }
      parts.push(part);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      const body = Buffer.concat(parts);
      const event = req.method === 'POST' && (req.url ?? '').startsWith('/slack/events')
        && signedAndFresh(req.headers, body) && isEventCallback(req.headers, body);
      if (!event) return relay(req, body, res);
      res.writeHead(200).end();
      relay(req, body);
    });
  });
  server.on('error', (error) => port.postMessage({ kind: 'error', code: (error as NodeJS.ErrnoException).code, message: error.message }));
  server.listen(data.port, () => port.postMessage({ kind: 'listening', port: (server.address() as { port: number }).port }));
  port.on('message', (message: { kind?: string }) => {
    if (message.kind !== 'close') return;
    server.close(() => { upstream.destroy(); port.postMessage({ kind: 'closed' }); });
    server.closeIdleConnections();
  });
}

export function startAckFront(options: AckFrontOptions): Promise<AckFront> {
  // esbuild (tsx, vitest) may wrap inner functions in __name(…) to keep their names; the thread has no such helper.
  const source = `var __name = (target) => target; (${frontMain.toString()})({ http: require('node:http'), crypto: require('node:crypto'), threads: require('node:worker_threads') }, require('node:worker_threads').workerData)`;
  const data: FrontData = { port: options.port, upstreamPort: options.upstreamPort, signingSecret: options.signingSecret, peerHeader: RELAYED_PEER_HEADER };
  const worker = new Worker(source, { eval: true, workerData: data });
  return new Promise((resolve, reject) => {
    const onStartError = (error: Error) => reject(error);
    worker.once('error', onStartError);
    worker.on('message', (message: { kind: string; port?: number; code?: string; message?: string; reason?: string }) => {
      if (message.kind === 'handover-failed') options.onHandoverFailed(message.reason ?? 'unknown');
      if (message.kind === 'error') {
        void worker.terminate();
        reject(Object.assign(new Error(message.message), { code: message.code, syscall: 'listen' }));
      }
      if (message.kind !== 'listening') return;
      worker.off('error', onStartError);
      resolve({
        port: message.port!,
        async close() {
          const closed = new Promise<void>((done) => worker.on('message', (m: { kind: string }) => { if (m.kind === 'closed') done(); }));
          worker.postMessage({ kind: 'close' });
          await Promise.race([closed, new Promise((done) => setTimeout(done, 1000).unref())]);
          await worker.terminate();
        },
      });
    });
  });
}
