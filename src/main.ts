import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { RunningApp } from './app.js';
import { ConfigError, loadConfig, type Config, type StoreChoice } from './config/load-config.js';
import { gatedLogStream } from './console/terminal-log-gate.js';
import { AppError, type ErrorCode } from './errors.js';
import { openLogFile } from './ops/log-file.js';
import { createLogger, type Logger } from './ops/logger.js';
import { openStore } from './store/open-store.js';

// Whatever happens, the process exits within this after SIGTERM/SIGINT.
const HARD_EXIT_MS = 10_000;

/**
 * Start-up failures that are explained, not bugs: their message is the whole story, so no stack is printed.
 * Exit status 2 = the configuration must change (as for an invalid .env): Slack refused a token. Exit status 1 =
 * could not start now (no connection to SLACK_API_URL, Slack failing): starting again later may work.
 */
const EXPLAINED_START_FAILURES: Partial<Record<ErrorCode, 1 | 2>> = {
  SLACK_AUTH_FAILED: 2,
  // Another process has the embedded database's directory: the operator's to resolve (stop it, or change DATA_DIR).
  STORE_LOCKED: 2,
  STORE_MIGRATION_MISMATCH: 1,
  STORE_SCHEMA_OUTDATED: 1,
  SLACK_UNREACHABLE: 1,
  SLACK_API_FAILED: 1,
};

/** Entry point: configuration (exit 2 when invalid, or the data directory is in use), then the app in the mode the environment selects. */
async function main(): Promise<void> {
  // A local .env is a convenience for development; real deployments set the environment directly.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const consoleMode = config.slack.kind === 'console';
  let logging: { logger: Logger; file?: string };
  try {
    logging = appLogger(config);
  } catch (error) {
    // DATA_DIR is a file, or not writable: the operating system's message names the path.
    process.stderr.write(`Could not start: cannot write the log file under DATA_DIR (${config.dataDir}): ${(error as Error).message}\n`);
    process.exit(1);
  }
  const { logger } = logging;
  if (logging.file) process.stderr.write(`Logs: ${logging.file} (LOG_FORMAT=pretty shows them here instead)\n`);
  // Start-up progress: on stderr for a person at the console (and in its log file), as log lines in the server
  // modes. With pretty logs on the console's stderr, the log line would say it a second time.
  const progress = (message: string, fields: Record<string, unknown> = {}) => {
    if (consoleMode) process.stderr.write(`${message}\n`);
    if (!consoleMode || logging.file) logger.info(fields, message);
  };
  const startedAt = performance.now();
  progress(openingTheDatabase(config.store), { store: config.store.kind });

  let app: RunningApp;
  try {
    // The database opens (PGlite: WASM compile, data-directory reads) while the rest of the app's modules load:
    // the two are most of a start, and overlapping them shortens it.
    const opening = openStore(config.store);
    opening.catch(() => {}); // its failure is handled where it is awaited, once app.js has loaded
    const { startApp } = await import('./app.js');
    app = await startApp(config, { logger, store: await opening });
  } catch (error) {
    const status = error instanceof AppError ? EXPLAINED_START_FAILURES[error.code] : undefined;
    if (error instanceof AppError && status !== undefined) {
      logger.fatal({ code: error.code, details: error.details }, `could not start: ${error.message}`);
      process.stderr.write(`Could not start: ${error.message}\n`);
      process.exit(status);
    }
    // An operating-system error (ENOTDIR, EACCES… on DATA_DIR) names the call and the path: that is the whole story.
    const system = error as NodeJS.ErrnoException;
    if (error instanceof Error && typeof system.syscall === 'string') {
      logger.fatal({ code: system.code, syscall: system.syscall, path: system.path }, `could not start: ${error.message}`);
      process.stderr.write(`Could not start: ${error.message}\n`);
      process.exit(1);
    }
    const message = error instanceof AppError ? error.message : String(error);
    logger.fatal({ err: error }, 'could not start');
    process.stderr.write(`Could not start: ${message}\n`);
    process.exit(1);
  }
  const running = app;
  // Console mode says "Ready." itself (runConsoleChat), just before its prompt.
  logger.info({ mode: app.mode, ...(app.port !== undefined ? { port: app.port } : {}), startMs: Math.round(performance.now() - startedAt) }, 'ready');
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(0), HARD_EXIT_MS).unref();
    void running.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  await running.finished;
  process.exit(0);
}

/**
 * Where logs go. Server modes: stdout, JSON (or pretty). Console mode: stdout is the chat, so JSON goes to
 * DATA_DIR/logs/improver.log (whatever the store); LOG_FORMAT=pretty puts readable lines on stderr instead,
 * held back while an answer is being printed so they never land inside it.
 */
function appLogger(config: Config): { logger: Logger; file?: string } {
  const base = { level: config.server.logLevel, secrets: config.secrets, format: config.server.logFormat };
  if (config.slack.kind !== 'console') return { logger: createLogger({ ...base, colorize: Boolean(process.stdout.isTTY) }) };
  if (config.server.logFormat === 'pretty') {
    return { logger: createLogger({ ...base, destination: gatedLogStream(pino.destination({ dest: 2, sync: true })), colorize: Boolean(process.stderr.isTTY) }) };
  }
  const file = openLogFile(config.dataDir);
  return { logger: createLogger({ ...base, destination: file.destination }), file: file.path };
}

/** The first progress line: opening the store is the slow part of a start (creating PGlite's files, most of all). */
function openingTheDatabase(store: StoreChoice): string {
  switch (store.kind) {
    case 'pglite': {
      // PG_VERSION is the first file of a Postgres data directory: without it, this start creates the database.
      const first = !existsSync(join(store.dataDir, 'PG_VERSION'));
      return `Opening the database in ${store.dataDir}${first ? ' (first start: creating it, this takes a few seconds)' : ''}…`;
    }
    case 'postgres': return 'Connecting to the Postgres database (DATABASE_URL)…';
    case 'supabase': return `Connecting to Supabase at ${store.url}…`;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`Fatal: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
