import { loadConfig } from '../../src/config/load-config.js';
import { createLogger, type Logger } from '../../src/ops/logger.js';
import type { Harness } from '../support/harness.js';
import { SIGNING_SECRET } from '../support/harness.js';

/** Secrets the fault suite's apps run with: long enough for the logger to scrub (≥ 6 characters). */
export const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-faults-4f1c9a7e2b',
  OPENAI_API_KEY: 'sk-faults-8d2e61b0c3a9',
};

/**
 * The app's own logger (createLogger, as main.ts builds it, scrubbing the configured secrets) writing into
 * memory: what an operator would read, line by line.
 */
export function capturedLogs(level = 'debug'): { logger: Logger; lines: string[]; records(): Array<Record<string, any>> } {
  const lines: string[] = [];
  const { secrets } = loadConfig({ ...SECRETS, SLACK_SIGNING_SECRET: SIGNING_SECRET });
  const logger = createLogger({ level, secrets, destination: { write: (line: string) => { lines.push(line); } } });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

/** The bot's messages in a thread, status placeholders ("_Thinking…_") left out. */
export const botMessages = (h: Harness, channel: string, threadTs: string): any[] =>
  h.slack.messages(channel).filter((m) => m.thread_ts === threadTs && m.bot_id && !/^_.*…_$/.test(m.text ?? ''));

/** All text the bot posted in a thread, blocks included (what a person could read or click). */
export const threadText = (h: Harness, channel: string, threadTs: string): string =>
  JSON.stringify(h.slack.messages(channel).filter((m) => m.thread_ts === threadTs && m.bot_id));

/** The run of an event once it has ended. */
export async function endedRun(h: Harness, eventId: string) {
  const [run] = await h.store.runs.find({ workspaceId: 'T1', eventId });
  return run && run.status !== 'running' ? run : null;
}
