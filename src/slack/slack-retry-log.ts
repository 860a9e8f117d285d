import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../ops/logger.js';

export interface SlackRetryLogOptions {
  /** SLACK_API_URL: calls under it are named by their Web API method. */
  apiUrl: string;
  logger: Logger;
  /** The WebClient's retryConfig.retries: attempts after the first that it makes. */
  retries: number;
  /** WebClient's rejectRateLimitedCalls: a 429 is then not retried. */
  rejectRateLimitedCalls?: boolean;
}

/**
 * One log line per failed Slack Web API attempt, with the method, the HTTP status (or the socket error) and the
 * attempt number, and whether the client retries it. WebClient retries 5xx answers and network errors silently
 * (p-retry) and gives 429s one info line without the method; its retry hook (onFailedAttempt) sees neither the
 * method nor, for 429, the status. The `fetch` it calls for every attempt sees both, so this sits there, in
 * front of the real fetch. Attempts of one call are told apart from other calls by their URL and body, which
 * WebClient sends identically on each attempt (two identical calls at once would share a count).
 */
export class SlackRetryLog {
  private readonly apiUrl: string;
  /** URL + body digest → failed attempts so far. Bounded: a call ends within WebClient's retry policy. */
  private readonly failures = new LRUCache<string, number>({ max: 10_000, ttl: 30 * 60_000 });

  constructor(private readonly options: SlackRetryLogOptions) {
    this.apiUrl = options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`;
  }

  /** A fetch for WebClient's `fetch` option (composable with SlackAuthWatch.fetch): answers pass through unchanged. */
  fetch(base: typeof globalThis.fetch = globalThis.fetch): typeof globalThis.fetch {
    return async (url, init) => {
      const href = url instanceof Request ? url.url : String(url);
      const key = typeof init?.body === 'string' ? createHash('sha1').update(href).update('\n').update(init.body).digest('base64') : undefined;
      let response: Response;
      try {
        response = await base(url, init);
      } catch (error) {
        const cause = (error as { cause?: { code?: unknown } }).cause;
        const code = typeof cause?.code === 'string' ? cause.code : (error as Error).name;
        this.failed(href, key, { status: 'network', error: code }, true);
        throw error;
      }
      if (response.status === 200) {
        if (key) this.failures.delete(key);
        return response;
      }
      const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
      const rateLimited = response.status === 429;
      this.failed(href, key, { status: response.status, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) },
        // WebClient retries a 429 only when it names a wait (Retry-After) and rate-limited calls are not rejected.
        !rateLimited || (Number.isFinite(retryAfter) && !this.options.rejectRateLimitedCalls));
      return response;
    };
  }

  private failed(href: string, key: string | undefined, what: Record<string, unknown>, retryable: boolean): void {
    const attempt = key ? (this.failures.get(key) ?? 0) + 1 : undefined;
    const retrying = retryable && (attempt ?? 1) <= this.options.retries;
    if (key) {
      if (retrying) this.failures.set(key, attempt!);
      else this.failures.delete(key);
    }
    const method = href.startsWith(this.apiUrl) ? href.slice(this.apiUrl.length).split('?')[0]! : new URL(href).pathname;
    const fields = { method, ...what, ...(attempt ? { attempt } : {}), retrying };
    if (retrying) this.options.logger.warn(fields, `Slack ${method} failed (${String(what.status)}); the client retries it`);
    else this.options.logger.error(fields, `Slack ${method} failed (${String(what.status)}); not retried`);
  }
}
