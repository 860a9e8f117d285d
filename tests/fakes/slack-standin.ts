/**
 * A Slack Web API stand-in on 127.0.0.1 (node:http, port 0). Point the app's SLACK_API_URL (Bolt's /
 * WebClient's `slackApiUrl`) at `apiUrl`. It speaks the wire format WebClient uses: POST /api/<method>
 * with an `application/x-www-form-urlencoded` body whose nested values (blocks, view, files, chunks…) are
 * JSON strings, or `application/json`, or multipart; token in `Authorization: Bearer …` or a `token` field.
 * Answers HTTP 200 with `{ ok, … }` JSON, 429 + Retry-After when told to. State lives in slack-state.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlackState, type AssistantThreadState, type StandinChannel, type StandinUpload, type StandinUser } from './slack-state.js';

export type { AssistantThreadState, StandinChannel, StandinUpload, StandinUser } from './slack-state.js';

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  at: number;
  token?: string;
  /** HTTP status the stand-in answered with, and its JSON body (set once answered). */
  status?: number;
  response?: any;
}
export interface FailureReply { status?: number; error?: string; retryAfterSeconds?: number }
export interface ResponseUrlPost { id: string; body: any; at: number }

export interface SlackStandin {
  /** http://127.0.0.1:PORT/api/ */
  apiUrl: string;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  /** Resolves with the first call (already made or future) to `method` matching `predicate`. Default timeout 5s. */
  waitFor(method: string, predicate?: (c: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  /** Next `times` calls to `method` fail: 429 + Retry-After (status 429 or retryAfterSeconds set), another HTTP status, or 200 `{ ok:false, error }`. */
  failNext(method: string, reply: FailureReply, times?: number): void;
  /** Answer `method` with `handler(args)`'s JSON; returning undefined falls through to the built-in behaviour. */
  override(method: string, handler: (args: any, call: SlackCall) => any): void;
  clearOverride(method: string): void;
  /** Every call with a token (any method) answers 200 `{ ok: false, error }` from now on, as for a revoked token; undefined restores. */
  refuseTokens(error: string | undefined): void;
  addUser(u: StandinUser): void;
  addChannel(c: StandinChannel): void;
  addMessage(channel: string, m: { user?: string; bot_id?: string; text: string; ts?: string; thread_ts?: string; [k: string]: any }): string;
  /** Oldest first, replies included (with thread_ts), streamed/updated text as it stands now. */
  messages(channel: string): any[];
  /** files.getUploadURLExternal → POST to upload_url → files.completeUploadExternal, one entry per file. */
  uploads: StandinUpload[];
  ephemerals: SlackState['ephemerals'];
  views: Map<string, any>;
  assistantThread(channel: string, threadTs: string): AssistantThreadState | undefined;
  /** Ends a stream from Slack's side; later append/stop calls get message_not_in_streaming_state. */
  expireStream(channel: string, ts: string): void;
  /** A response_url on this stand-in (give it to postSlashCommand / interaction payloads); posts land in `responseUrlPosts`. */
  responseUrl(id?: string): string;
  responseUrlPosts: ResponseUrlPost[];
  streamingSupported: boolean;
  botUserId: string;
  teamId: string;
  botId: string;
  /** ws:// URL apps.connections.open hands out (set by startSocketModeStandin). */
  socketModeUrl: string | undefined;
  state: SlackState;
  reset(): void;
  close(): Promise<void>;
}

/** Fields WebClient JSON-encodes into form values; parsed back so handlers see arrays/objects. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'prompts', 'files', 'chunks', 'metadata', 'loading_messages', 'unfurls', 'user_auth_blocks']);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function multipart(raw: Buffer, contentType: string): Promise<Array<[string, string | Buffer]>> {
  const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  const out: Array<[string, string | Buffer]> = [];
  for (const [k, v] of form.entries()) out.push([k, typeof v === 'string' ? v : Buffer.from(await v.arrayBuffer())]);
  return out;
}

async function parseArgs(req: IncomingMessage, raw: Buffer, query: URLSearchParams): Promise<Record<string, any>> {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const args: Record<string, any> = Object.fromEntries(query);
  if (type.startsWith('application/json')) {
    if (raw.length) Object.assign(args, JSON.parse(raw.toString('utf8')));
    return args;
  }
  const pairs: Array<[string, string | Buffer]> = type.startsWith('multipart/form-data')
    ? await multipart(raw, type) : [...new URLSearchParams(raw.toString('utf8'))];
  for (const [k, v] of pairs) {
    if (typeof v === 'string' && JSON_FIELDS.has(k) && /^\s*[[{]/.test(v)) {
      try { args[k] = JSON.parse(v); continue; } catch { /* Slack would answer invalid_*; keep the string */ }
    }
    args[k] = v;
  }
  return args;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

export async function startSlackStandin(opts: { botUserId?: string; teamId?: string } = {}): Promise<SlackStandin> {
  const state = new SlackState(opts);
  const calls: SlackCall[] = [];
  const failures = new Map<string, FailureReply[]>();
  const overrides = new Map<string, (args: any, call: SlackCall) => any>();
  const waiters = new Set<(c: SlackCall) => void>();
  const responseUrlPosts: ResponseUrlPost[] = [];
  let tokenRefusal: string | undefined;

  async function api(req: IncomingMessage, res: ServerResponse, method: string, query: URLSearchParams, raw: Buffer): Promise<void> {
    const args = await parseArgs(req, raw, query);
    const auth = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const token: string | undefined = auth ?? (typeof args.token === 'string' && args.token ? args.token : undefined);
    delete args.token;
    const call: SlackCall = { method, args, at: Date.now(), ...(token ? { token } : {}) };
    calls.push(call);
    const answer = (status: number, body: any, headers?: Record<string, string>) => {
      call.status = status; call.response = body;
      send(res, status, body, headers);
      for (const w of [...waiters]) w(call);
    };
    if (tokenRefusal && token) return answer(200, { ok: false, error: tokenRefusal });
    const failure = failures.get(method)?.shift();
    if (failure) {
      const status = failure.status ?? (failure.retryAfterSeconds !== undefined ? 429 : 200);
      if (status === 429) return answer(429, { ok: false, error: failure.error ?? 'ratelimited' }, { 'retry-after': String(failure.retryAfterSeconds ?? 1) });
      return answer(status, { ok: false, error: failure.error ?? (status === 200 ? 'internal_error' : 'fatal_error') });
    }
    const custom = overrides.get(method);
    const result = custom ? await custom(args, call) : undefined;
    answer(200, result !== undefined ? result : state.call(method, args, token));
  }

  function upload(res: ServerResponse, fileId: string, req: IncomingMessage, raw: Buffer): Promise<void> | void {
    const up = state.uploads.find((u) => u.file_id === fileId);
    if (!up) return send(res, 404, 'file not found');
    const type = String(req.headers['content-type'] ?? '');
    const done = (bytes: Buffer) => { up.bytes = bytes; up.uploaded = true; send(res, 200, `OK - ${bytes.length}`); };
    // WebClient.filesUploadV2 posts the bytes as multipart/form-data (one Blob field); curl-style clients post them raw.
    if (!type.startsWith('multipart/form-data')) return done(raw);
    return multipart(raw, type).then((fields) => {
      const file = fields.find(([, v]) => Buffer.isBuffer(v)) ?? fields[0];
      done(file ? Buffer.from(file[1]) : Buffer.alloc(0));
    });
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const raw = await readBody(req);
      const apiMatch = /^\/api\/([\w.]+)$/.exec(url.pathname);
      if (apiMatch?.[1]) return api(req, res, apiMatch[1], url.searchParams, raw);
      const up = /^\/upload\/(\w+)$/.exec(url.pathname);
      if (up?.[1] && req.method === 'POST') return upload(res, up[1], req, raw);
      const resp = /^\/response\/([\w-]+)$/.exec(url.pathname);
      if (resp?.[1] && req.method === 'POST') {
        const text = raw.toString('utf8');
        let body: any = text;
        try { body = JSON.parse(text); } catch { body = Object.fromEntries(new URLSearchParams(text)); }
        responseUrlPosts.push({ id: resp[1], body, at: Date.now() });
        return send(res, 200, { ok: true });
      }
      send(res, 404, 'not found');
    })().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { ok: false, error: 'fatal_error', detail: String(err) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  state.baseUrl = baseUrl;

  const standin: SlackStandin = {
    apiUrl: `${baseUrl}/api/`,
    baseUrl,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitFor(method, predicate = () => true, timeoutMs = 5000) {
      const match = (c: SlackCall) => c.method === method && c.status !== undefined && predicate(c);
      const hit = calls.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise<SlackCall>((resolve, reject) => {
        const waiter = (c: SlackCall) => { if (match(c)) { clearTimeout(timer); waiters.delete(waiter); resolve(c); } };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = calls.map((c) => c.method).join(', ') || 'none';
          reject(new Error(`slack stand-in: no matching ${method} call within ${timeoutMs}ms (calls so far: ${seen})`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    failNext(method, reply, times = 1) {
      const queue = failures.get(method) ?? [];
      for (let i = 0; i < times; i++) queue.push({ ...reply });
      failures.set(method, queue);
    },
    override: (method, handler) => { overrides.set(method, handler); },
    clearOverride: (method) => { overrides.delete(method); },
    refuseTokens: (error) => { tokenRefusal = error; },
    addUser: (u) => state.addUser(u),
    addChannel: (c) => state.addChannel(c),
    addMessage: (channel, m) => state.addMessage(channel, m),
    messages: (channel) => state.messages(channel),
    get uploads() { return state.uploads; },
    get ephemerals() { return state.ephemerals; },
    get views() { return state.views; },
    assistantThread: (channel, threadTs) => state.assistantThread(channel, threadTs),
    expireStream: (channel, ts) => state.expireStream(channel, ts),
    responseUrl: (id = `r${responseUrlPosts.length}-${Date.now()}`) => `${baseUrl}/response/${id}`,
    responseUrlPosts,
    get streamingSupported() { return state.streamingSupported; },
    set streamingSupported(v: boolean) { state.streamingSupported = v; },
    get botUserId() { return state.botUserId; },
    get teamId() { return state.teamId; },
    get botId() { return state.botId; },
    get socketModeUrl() { return state.socketModeUrl; },
    set socketModeUrl(v: string | undefined) { state.socketModeUrl = v; },
    state,
    reset() {
      calls.length = 0; responseUrlPosts.length = 0;
      failures.clear(); overrides.clear(); tokenRefusal = undefined;
      state.reset();
    },
    async close() {
      waiters.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standin;
}
