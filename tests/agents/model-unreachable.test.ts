import { LangChainModelPort } from '../../src/model/langchain-port.js';
import { Models } from '../../src/model/models.js';
import { memoryMeter } from '../support/models.js';
import { spawnSync } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { classifyModelError, userMessageFor } from '../../src/model/model-errors.js';
import { UniversalAgent } from '../../src/agents/universal-agent.js';
import { mentionEvent } from '../fakes/slack-events.js';
import { startOpenAIStandin, type OpenAIStandin } from '../fakes/openai-standin.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { agentConfig, captureLogger, caught } from './helpers.js';

/**
 * Connection attempts as undici itself reports them (fetch, used by the OpenAI SDK, publishes one
 * `undici:client:beforeConnect` per TCP/TLS connection it opens): the count is what went on the wire.
 */
function countConnects(match: (params: { hostname?: string; host?: string; port?: string | number }) => boolean) {
  const seen: number[] = [];
  const listener = (message: unknown) => {
    const params = (message as { connectParams?: { hostname?: string; host?: string; port?: string | number } }).connectParams;
    if (params && match(params)) seen.push(Date.now());
  };
  diagnostics.subscribe('undici:client:beforeConnect', listener);
  return { seen, stop: () => diagnostics.unsubscribe('undici:client:beforeConnect', listener) };
}

/** A port on 127.0.0.1 that was just bound and released: nothing listens there, so connecting is refused. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type RetryInfo = { attempt: number; delayMs: number; errorCode: string };

function agentAt(baseUrl: string, maxRetries = 3): UniversalAgent {
  return new UniversalAgent(agentConfig(), {
    models: new Models(new LangChainModelPort({ apiKey: 'test-key', baseUrl })), defaultModel: 'gpt-4o-mini', maxRetries, logger: captureLogger().logger, baseDelayMs: 20,
  });
}

describe('through the app: OPENAI_BASE_URL points where nothing listens', () => {
  let h: Harness | undefined;
  afterEach(async () => { await h?.close(); h = undefined; });

  test('connection refused: the user is told which server and what to check; 2 connection attempts in all', async () => {
    const port = await closedPort();
    h = await startHarness({ SLACK_STREAMING: 'off', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`, MODEL_MAX_RETRIES: '3' });
    const connects = countConnects((p) => String(p.port) === String(port));
    try {
      const event = mentionEvent({ text: 'What is the capital of France?', user: 'U1', channel: 'C1' });
      const sentAt = Date.now();
      await h.send(event);
      const notice = await eventually(() => h!.slack.messages('C1').find((m) => m.thread_ts === event.event.ts && /can't reach/.test(m.text ?? '')));
      await h.settled();
      expect(notice.text).toBe(`I can't reach the model server at 127.0.0.1:${port} (connection refused). An admin should check OPENAI_BASE_URL.`);
      expect(connects.seen).toHaveLength(2); // the first attempt and one quick retry, router included
      expect(connects.seen[1]! - connects.seen[0]!).toBeGreaterThanOrEqual(190);
      expect(Date.now() - sentAt).toBeLessThan(5000);
      const [run] = await h.store.runs.find({ workspaceId: 'T1', eventId: event.event_id });
      expect(run).toMatchObject({ status: 'failed', errorClass: 'MODEL_UNREACHABLE' });
    } finally {
      connects.stop();
    }
  });

  test('a host that does not resolve (.invalid): one attempt, no retry, the host named', async () => {
    h = await startHarness({ SLACK_STREAMING: 'off', OPENAI_BASE_URL: 'http://model-server.invalid:11434/v1', MODEL_MAX_RETRIES: '3' });
    const connects = countConnects((p) => p.hostname === 'model-server.invalid');
    try {
      const event = mentionEvent({ text: 'What is the capital of France?', user: 'U1', channel: 'C1' });
      await h.send(event);
      const notice = await eventually(() => h!.slack.messages('C1').find((m) => m.thread_ts === event.event.ts && /can't reach/.test(m.text ?? '')));
      await h.settled();
      expect(notice.text).toBe("I can't reach the model server at model-server.invalid:11434 (its name does not resolve: ENOTFOUND). An admin should check OPENAI_BASE_URL.");
      expect(connects.seen).toHaveLength(1);
    } finally {
      connects.stop();
    }
  });
});

describe('UniversalAgent: the retry policy per kind of connection failure', () => {
  const retriesOf = async (baseUrl: string, maxRetries = 3) => {
    const retries: RetryInfo[] = [];
    const error = await caught(agentAt(baseUrl, maxRetries).run({ meter: memoryMeter(), text: 'hi', deadline: Date.now() + 10_000, onRetry: (info) => retries.push(info) }));
    return { error, retries };
  };

  test('refused: one retry after 200 ms whatever MODEL_MAX_RETRIES says; a single attempt when retries are off', async () => {
    const port = await closedPort();
    const { error, retries } = await retriesOf(`http://localhost:${port}/v1`, 10);
    expect(error).toMatchObject({ code: 'MODEL_UNREACHABLE', category: 'THIRD_PARTY', details: { reason: 'connection_refused', socketCode: 'ECONNREFUSED', attempts: 2 } });
    expect(retries.map((r) => [r.errorCode, r.delayMs])).toEqual([['MODEL_UNREACHABLE', 200]]);
    // The host as configured (localhost), not the address it resolved to.
    expect(userMessageFor(error)).toBe(`I can't reach the model server at localhost:${port} (connection refused). An admin should check OPENAI_BASE_URL.`);
    expect((await retriesOf(`http://localhost:${port}/v1`, 0)).error.details.attempts).toBe(1);
  });

  test('DNS failure: no retry', async () => {
    const { error, retries } = await retriesOf('http://nowhere.invalid/v1');
    expect(error).toMatchObject({ code: 'MODEL_UNREACHABLE', retryable: false, details: { reason: 'dns', socketCode: 'ENOTFOUND', host: 'nowhere.invalid', attempts: 1 } });
    expect(retries).toEqual([]);
  });

  test('a port fetch refuses outright (9, on the Fetch standard block list): nothing sent, no retry, said so', async () => {
    const connects = countConnects((p) => String(p.port) === '9');
    try {
      const { error, retries } = await retriesOf('http://127.0.0.1:9/v1');
      expect(error).toMatchObject({ code: 'MODEL_UNREACHABLE', retryable: false, details: { reason: 'blocked_port', host: '127.0.0.1:9', attempts: 1 } });
      expect(retries).toEqual([]);
      expect(connects.seen).toHaveLength(0);
      expect(userMessageFor(error)).toBe("I can't reach the model server at 127.0.0.1:9 (HTTP clients refuse to connect to that port). An admin should check OPENAI_BASE_URL.");
    } finally {
      connects.stop();
    }
  });

  test('TLS to a server that does not speak it (https:// on a plain port): no retry', async () => {
    const sockets = new Set<Socket>();
    const plain = createTcpServer((socket) => { sockets.add(socket); socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'); });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const port = (plain.address() as { port: number }).port;
      const { error, retries } = await retriesOf(`https://127.0.0.1:${port}/v1`);
      expect(error).toMatchObject({ code: 'MODEL_UNREACHABLE', retryable: false, details: { reason: 'tls', attempts: 1 } });
      expect(error.details.socketCode).toMatch(/^ERR_SSL_/);
      expect(retries).toEqual([]);
      expect(userMessageFor(error)).toMatch(new RegExp(`^I can't reach the model server at 127\\.0\\.0\\.1:${port} \\(the TLS connection failed: ERR_SSL_\\w+\\)\\. An admin should check OPENAI_BASE_URL\\.$`));
    } finally {
      // The client's failed TLS socket never sends its FIN: close() would wait for it forever.
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  describe('a self-signed certificate', () => {
    const openssl = spawnSync('openssl', ['version']).status === 0;
    let server: Server | undefined;
    let port = 0;
    beforeAll(async () => {
      if (!openssl) return;
      const dir = mkdtempSync(join(tmpdir(), 'model-tls-'));
      try {
        const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'),
          '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { encoding: 'utf8' });
        expect(made.status).toBe(0);
        server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (s) => s.end());
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      port = (server!.address() as { port: number }).port;
    });
    afterAll(async () => { if (server) await new Promise((resolve) => server!.close(resolve)); });

    test.skipIf(!openssl)('is refused by certificate verification: no retry, the configured host named', async () => {
      const connects = countConnects((p) => String(p.port) === String(port));
      try {
        const { error, retries } = await retriesOf(`https://localhost:${port}/v1`);
        expect(error).toMatchObject({ code: 'MODEL_UNREACHABLE', details: { reason: 'tls', socketCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', host: `localhost:${port}` } });
        expect(retries).toEqual([]);
        expect(connects.seen).toHaveLength(1);
      } finally {
        connects.stop();
      }
    });
  });
});

describe('a connection cut mid-answer is not "unreachable"', () => {
  let standin: OpenAIStandin;
  beforeAll(async () => { standin = await startOpenAIStandin(); });
  afterAll(async () => { await standin.close(); });

  test('ECONNRESET / UND_ERR_SOCKET stays MODEL_SERVER_ERROR and is retried with backoff up to MODEL_MAX_RETRIES', async () => {
    for (let i = 0; i < 3; i++) standin.enqueue({ cutStreamAfterChunks: 1, text: 'a long answer that never finishes arriving' });
    const retries: RetryInfo[] = [];
    const error = await caught(agentAt(standin.baseURL, 2).run({ meter: memoryMeter(),
      text: 'hi', deadline: Date.now() + 10_000, onToken: () => {}, onReset: () => {}, onRetry: (info) => retries.push(info),
    }));
    expect(error).toMatchObject({ code: 'MODEL_SERVER_ERROR', retryable: true, details: { attempts: 3 } });
    expect(retries.map((r) => r.errorCode)).toEqual(['MODEL_SERVER_ERROR', 'MODEL_SERVER_ERROR']);
    expect(standin.requests).toHaveLength(3);
    // The same error classified with the configured base URL: still a server error, never MODEL_UNREACHABLE.
    expect(classifyModelError(error.cause ?? error, { baseUrl: standin.baseURL }).code).toBe('MODEL_SERVER_ERROR');
  });
});
