import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger, type Logger } from '../../src/ops/logger.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgres } from '../../src/store/postgres/pg-client.js';
import { classifySqlError, SqlTransport } from '../../src/store/sql-transport.js';
import { Store } from '../../src/store/store.js';
import { SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';
import { startPostgresServer, type PostgresServer } from '../support/postgres-server.js';

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

/** The bot's answers in a thread of C1: its messages with the feedback buttons (not statuses or notices). */
export const answersIn = (h: Harness, threadTs: string): any[] =>
  h.slack.messages('C1').filter((m) => m.thread_ts === threadTs && m.bot_id && JSON.stringify(m.blocks ?? []).includes('feedback_up'));

/**
 * The whole app on a PostgreSQL server of its own, which the test may stop, freeze or restart, with the outage
 * journal in a DATA_DIR of its own. The pool gives up on a connection after 1 s, so an outage is noticed quickly.
 */
export async function appOnOwnPostgres(dataDirPrefix: string): Promise<{ server: PostgresServer; h: Harness; dataDir: string; close(): Promise<void> }> {
  const server = (await startPostgresServer())!;
  const dataDir = mkdtempSync(join(tmpdir(), dataDirPrefix));
  const cleanUp = () => { server.stop(); rmSync(dataDir, { recursive: true, force: true }); };
  try {
    const migrator = openPostgres(server.url, { max: 1 });
    await migrate(migrator);
    await migrator.close();
    const store = new Store(new SqlTransport('postgres', openPostgres(server.url, { max: 4, connectionTimeoutMillis: 1000 }), classifySqlError));
    const h = await startHarness({ SLACK_STREAMING: 'off', DATA_DIR: dataDir }, { store });
    return { server, h, dataDir, async close() { await h.close(); cleanUp(); } };
  } catch (error) {
    cleanUp();
    throw error;
  }
}
