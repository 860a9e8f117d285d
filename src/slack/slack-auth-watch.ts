import type { FetchFunction } from '@slack/web-api';

/** Web API errors that mean the token itself no longer works: every later call with it fails the same way. */
export const TOKEN_DEAD_ERRORS: ReadonlySet<string> = new Set([
  'invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'team_disabled',
]);

export type SlackTokenVariable = 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN';

export interface TokenRefusal {
  variable: SlackTokenVariable;
  /** What Slack answered (`error` of the `{ ok: false }` body). */
  error: string;
  /** The Web API method that was refused. */
  method: string;
  since: string;
}

/** apps.connections.open is the one call made with the app-level token (Socket Mode); every other uses the bot token. */
export function tokenVariableFor(method: string): SlackTokenVariable {
  return method === 'apps.connections.open' ? 'SLACK_APP_TOKEN' : 'SLACK_BOT_TOKEN';
}

/**
 * Watches every Web API answer (through the `fetch` WebClient uses, shared by Bolt's clients and the Socket
 * Mode client) for a token Slack no longer accepts. A refusal is kept until a later call with the same token
 * succeeds; `onChange` fires on each transition only, so a revoked token is reported once, not per request.
 */
export class SlackAuthWatch {
  private readonly refused = new Map<SlackTokenVariable, TokenRefusal>();
  private readonly listeners = new Set<(refusal: TokenRefusal | undefined, variable: SlackTokenVariable) => void>();
  private readonly errorListeners = new Set<(method: string, slackError: string) => void>();

  private readonly apiUrl: string;
  private readonly now: () => Date;

  /** `apiUrl`: SLACK_API_URL; answers from anywhere else (response_url posts, file uploads) are not Web API calls. */
  constructor(options: { apiUrl: string; now?: () => Date }) {
    this.apiUrl = options.apiUrl.endsWith('/') ? options.apiUrl : `${options.apiUrl}/`;
    this.now = options.now ?? (() => new Date());
  }

  /** The first token still refused, if any. */
  get refusal(): TokenRefusal | undefined {
    return this.refused.values().next().value;
  }

  onChange(listener: (refusal: TokenRefusal | undefined, variable: SlackTokenVariable) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every `{ ok: false, error }` answer, whatever the error (start-up uses it to catch a refused app token). */
  onError(listener: (method: string, slackError: string) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Records one Web API answer (`ok` and `error` of its JSON body). */
  observe(method: string, body: { ok?: unknown; error?: unknown }): void {
    const variable = tokenVariableFor(method);
    if (body.ok === true) {
      if (this.refused.delete(variable)) this.emit(undefined, variable);
      return;
    }
    if (typeof body.error !== 'string') return;
    for (const listener of this.errorListeners) listener(method, body.error);
    if (!TOKEN_DEAD_ERRORS.has(body.error) || this.refused.has(variable)) return;
    const refusal: TokenRefusal = { variable, error: body.error, method, since: this.now().toISOString() };
    this.refused.set(variable, refusal);
    this.emit(refusal, variable);
  }

  /** A fetch for WebClient's `fetch` option: answers pass through unchanged after their JSON body is observed. */
  fetch(base: typeof globalThis.fetch = globalThis.fetch): FetchFunction {
    return async (url, init) => {
      const response = await base(url, init);
      const href = String(url);
      const type = response.headers.get('content-type') ?? '';
      // Slack reports auth failures as HTTP 200 with `{ ok: false }`; non-JSON answers are skipped.
      if (href.startsWith(this.apiUrl) && response.status === 200 && type.includes('json')) {
        const body = await response.clone().json().catch(() => undefined) as { ok?: unknown; error?: unknown } | undefined;
        if (body && typeof body === 'object') this.observe(href.slice(this.apiUrl.length).split('?')[0]!, body);
      }
      return response;
    };
  }

  private emit(refusal: TokenRefusal | undefined, variable: SlackTokenVariable): void {
    for (const listener of this.listeners) listener(refusal, variable);
  }
}

