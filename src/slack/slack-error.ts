/**
 * The Slack Web API's error code ("channel_not_found", "ratelimited"…) from whatever WebClient threw, or the
 * message of a non-Slack error. Used wherever a failed Slack call is logged or branched on.
 */
export function slackErrorCode(error: unknown): string {
  return (error as { data?: { error?: string } } | undefined)?.data?.error ?? (error instanceof Error ? error.message : String(error));
}
