import { webApi } from '@slack/bolt';

// Through Bolt's re-export: @slack/web-api is Bolt's dependency, not ours, so the image ships exactly Bolt's copy.
const SlackErrorCode = webApi.ErrorCode;
import { AppError } from '../errors.js';
import { TOKEN_DEAD_ERRORS, type SlackTokenVariable } from './slack-auth-watch.js';

/**
 * Answers to the start-up calls (auth.test, apps.connections.open) that mean the token is wrong for this app,
 * on top of the ones that mean it no longer works: a bot token in SLACK_APP_TOKEN, an app token without
 * connections:write. The Socket Mode client would retry some of these forever.
 */
const REFUSED_AT_START = new Set([...TOKEN_DEAD_ERRORS, 'not_allowed_token_type', 'missing_scope', 'user_removed_from_team']);

export function refusesTokenAtStart(slackError: string): boolean {
  return REFUSED_AT_START.has(slackError);
}

const ADVICE: Record<SlackTokenVariable, string> = {
  SLACK_BOT_TOKEN: 'Copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions of your Slack app into SLACK_BOT_TOKEN; '
    + 'if the app was uninstalled or the token revoked, reinstall the app to the workspace first.',
  SLACK_APP_TOKEN: 'Create an app-level token with the connections:write scope (Basic Information → App-Level Tokens) '
    + 'and put it (xapp-…) in SLACK_APP_TOKEN.',
};

export interface StartupCall {
  /** The token the call was made with. */
  variable: SlackTokenVariable;
  /** auth.test or apps.connections.open. */
  method: string;
  /** SLACK_API_URL as configured. */
  apiUrl: string;
}

/** A refusal of a start-up call seen on the wire (by SlackAuthWatch) before the client library reports it. */
export function tokenRefusedError(call: StartupCall, slackError: string, cause?: unknown): AppError {
  return new AppError('SLACK_AUTH_FAILED',
    `Slack refused ${call.variable}: ${call.method} answered "${slackError}". ${ADVICE[call.variable]}`,
    { ...(cause !== undefined ? { cause } : {}), retryable: false, details: { variable: call.variable, method: call.method, slackError } });
}

/**
 * What a failed start-up call means, as an AppError whose message is the one paragraph the person starting the
 * app reads: SLACK_AUTH_FAILED (the token: fix the configuration), SLACK_UNREACHABLE (no connection to
 * SLACK_API_URL), SLACK_API_FAILED (Slack answered something else). Decided from WebClient's error codes and
 * Slack's `error` field, and the socket error's code under them.
 */
export function slackStartupError(error: unknown, call: StartupCall): AppError {
  if (error instanceof AppError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown; data?: { error?: unknown }; original?: unknown; statusCode?: unknown;
  };
  if (e.code === SlackErrorCode.PlatformError && typeof e.data?.error === 'string') {
    const slackError = e.data.error;
    if (refusesTokenAtStart(slackError)) return tokenRefusedError(call, slackError, error);
    return new AppError('SLACK_API_FAILED', `Slack answered ${call.method} with "${slackError}" at start (${call.variable}), so the app cannot connect.`,
      { cause: error, retryable: false, details: { variable: call.variable, method: call.method, slackError } });
  }
  if (e.code === SlackErrorCode.RequestError) {
    const socketCode = socketErrorCode(e.original) ?? 'no error code';
    return new AppError('SLACK_UNREACHABLE',
      `Could not reach the Slack API at ${call.apiUrl} (SLACK_API_URL) to check ${call.variable}: ${call.method} failed with ${socketCode}. `
      + 'Check that this machine can reach it (network, proxy, firewall, DNS) and that SLACK_API_URL is right '
      + '(leave it unset for https://slack.com/api/), then start the app again.',
      { cause: error, retryable: true, details: { variable: call.variable, method: call.method, apiUrl: call.apiUrl, socketCode } });
  }
  if (e.code === SlackErrorCode.HTTPError && typeof e.statusCode === 'number') {
    return new AppError('SLACK_API_FAILED',
      `The Slack API at ${call.apiUrl} (SLACK_API_URL) answered ${call.method} with HTTP ${e.statusCode}. `
      + 'Check SLACK_API_URL (leave it unset for https://slack.com/api/) or try again when Slack is up.',
      { cause: error, retryable: true, details: { variable: call.variable, method: call.method, apiUrl: call.apiUrl, status: e.statusCode } });
  }
  return error instanceof Error ? new AppError('INTERNAL', error.message, { cause: error }) : new AppError('INTERNAL', String(error));
}

/** The socket error's code (ECONNREFUSED, ENOTFOUND…) under fetch's TypeError, a few `cause` levels down. */
function socketErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
