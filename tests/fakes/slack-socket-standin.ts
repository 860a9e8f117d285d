/**
 * Socket Mode stand-in: a WebSocket server on 127.0.0.1 at ws://127.0.0.1:PORT/link, handed out by the
 * Web API stand-in's apps.connections.open. On connect it sends Slack's `hello`; `deliver()` pushes an
 * envelope and resolves with the client's ack `{ envelope_id, payload }`.
 *
 * The `ws` package is not installed (@slack/socket-mode 3.x uses undici's WebSocket client), so this holds a
 * minimal RFC 6455 server: handshake, unmasked server frames, masked client frames, fragmentation, ping→pong,
 * and the close handshake. Enough for undici's client; not a general-purpose server.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SlackStandin } from './slack-standin.js';

export interface SocketEnvelope {
  type: 'events_api' | 'slash_commands' | 'interactive';
  payload: any;
  envelope_id?: string;
  /** Default: false for events_api, true otherwise (as Slack sends). */
  accepts_response_payload?: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}
export interface SocketAck { envelope_id: string; payload?: any; at: number }

export interface SocketModeStandin {
  /** ws://127.0.0.1:PORT/link */
  url: string;
  readonly connectionCount: number;
  /** Every JSON message clients sent (acks included). */
  received: any[];
  acks: SocketAck[];
  /** Resolves once at least one client is connected and has been sent `hello`. */
  waitForConnection(timeoutMs?: number): Promise<void>;
  /** Sends the envelope to the newest connection; resolves with its ack, rejects after timeoutMs (default 5s). */
  deliver(envelope: SocketEnvelope, opts?: { timeoutMs?: number }): Promise<SocketAck>;
  /** Sends any JSON message to every open connection. */
  sendRaw(message: unknown): void;
  /** Slack's `{ type: 'disconnect', reason }` (clients reconnect through apps.connections.open). */
  requestDisconnect(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  /** Drops every socket without a close frame. */
  dropConnections(): void;
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

class Connection {
  private buf = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;
  open = true;

  constructor(readonly socket: Socket, private readonly onText: (text: string) => void, private readonly onClose: () => void) {
    socket.on('data', (d: Buffer) => this.feed(d));
    socket.on('close', () => { this.open = false; this.onClose(); });
    socket.on('error', () => socket.destroy());
  }

  feed(d: Buffer): void { this.buf = Buffer.concat([this.buf, d]); this.parse(); }

  frame(opcode: number, payload: Buffer): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, len])
      : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
    this.socket.write(Buffer.concat([head, payload]));
  }

  sendText(text: string): void { if (this.open) this.frame(0x1, Buffer.from(text, 'utf8')); }

  close(code = 1000): void {
    if (!this.open) return;
    this.open = false;
    const p = Buffer.alloc(2); p.writeUInt16BE(code);
    this.frame(0x8, p);
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0]!, b1 = this.buf[1]!;
      let len = b1 & 0x7f, off = 2;
      if (len === 126) { if (this.buf.length < 4) return; len = this.buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (this.buf.length < 10) return; len = Number(this.buf.readBigUInt64BE(2)); off = 10; }
      const masked = (b1 & 0x80) !== 0;
      const need = off + (masked ? 4 : 0) + len;
      if (this.buf.length < need) return;
      const mask = masked ? this.buf.subarray(off, off + 4) : undefined;
      const payload = Buffer.from(this.buf.subarray(need - len, need));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
      this.buf = this.buf.subarray(need);
      this.handle(b0 & 0x0f, (b0 & 0x80) !== 0, payload);
    }
  }

  private handle(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === 0x9) return this.frame(0xa, payload); // ping → pong, same payload
    if (opcode === 0xa) return; // pong
    if (opcode === 0x8) { // close: echo the code, then end
      if (this.open) { this.open = false; this.frame(0x8, payload.subarray(0, 2)); }
      this.socket.end();
      return;
    }
    if (opcode !== 0x0) { this.fragments = []; this.fragmentOpcode = opcode; }
    this.fragments.push(payload);
    if (!fin) return;
    const data = Buffer.concat(this.fragments);
    this.fragments = [];
    if (this.fragmentOpcode === 0x1) this.onText(data.toString('utf8'));
  }
}

export async function startSocketModeStandin(web: SlackStandin, opts: { appId?: string } = {}): Promise<SocketModeStandin> {
  const conns: Connection[] = [];
  const received: any[] = [];
  const acks: SocketAck[] = [];
  const ackWaiters = new Map<string, (a: SocketAck) => void>();
  const connectWaiters = new Set<() => void>();

  const server: Server = createServer((_req, res) => { res.writeHead(426, { 'content-type': 'text/plain' }); res.end('upgrade required'); });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    const key = req.headers['sec-websocket-key'];
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/link' || typeof key !== 'string') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.setNoDelay(true);
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const conn: Connection = new Connection(socket, (text) => {
      let msg: any;
      try { msg = JSON.parse(text); } catch { return; }
      received.push(msg);
      if (typeof msg?.envelope_id === 'string') {
        const ack: SocketAck = { envelope_id: msg.envelope_id, payload: msg.payload, at: Date.now() };
        acks.push(ack);
        ackWaiters.get(ack.envelope_id)?.(ack);
      }
    }, () => { const i = conns.indexOf(conn); if (i >= 0) conns.splice(i, 1); });
    conns.push(conn);
    if (head.length) conn.feed(head);
    conn.sendText(JSON.stringify({
      type: 'hello', num_connections: conns.length,
      debug_info: { host: 'applink-standin-1', build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: opts.appId ?? 'A1' },
    }));
    for (const w of [...connectWaiters]) w();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/link`;
  web.socketModeUrl = url;

  const waitForConnection = (timeoutMs = 5000): Promise<void> => {
    if (conns.some((c) => c.open)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => { clearTimeout(timer); connectWaiters.delete(done); resolve(); };
      const timer = setTimeout(() => { connectWaiters.delete(done); reject(new Error(`socket stand-in: no client connected within ${timeoutMs}ms`)); }, timeoutMs);
      connectWaiters.add(done);
    });
  };

  return {
    url,
    get connectionCount() { return conns.filter((c) => c.open).length; },
    received,
    acks,
    waitForConnection,
    async deliver(envelope, { timeoutMs = 5000 } = {}) {
      await waitForConnection(timeoutMs);
      const envelope_id = envelope.envelope_id ?? randomUUID();
      const message = {
        envelope_id, type: envelope.type, payload: envelope.payload,
        accepts_response_payload: envelope.accepts_response_payload ?? envelope.type !== 'events_api',
        ...(envelope.type === 'events_api' ? { retry_attempt: envelope.retry_attempt ?? 0, retry_reason: envelope.retry_reason ?? '' } : {}),
      };
      return new Promise<SocketAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          ackWaiters.delete(envelope_id);
          reject(new Error(`socket stand-in: no ack for ${envelope.type} envelope ${envelope_id} within ${timeoutMs}ms`));
        }, timeoutMs);
        ackWaiters.set(envelope_id, (ack) => { clearTimeout(timer); ackWaiters.delete(envelope_id); resolve(ack); });
        const target = [...conns].reverse().find((c) => c.open);
        target?.sendText(JSON.stringify(message));
      });
    },
    sendRaw(message) { for (const c of conns) c.sendText(JSON.stringify(message)); },
    requestDisconnect(reason = 'refresh_requested') {
      for (const c of conns) c.sendText(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-standin-1' } }));
    },
    dropConnections() { for (const c of [...conns]) c.socket.destroy(); },
    async close() {
      if (web.socketModeUrl === url) web.socketModeUrl = undefined;
      for (const c of [...conns]) { c.close(1001); c.socket.destroy(); }
      connectWaiters.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
