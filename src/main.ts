import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { startApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config/load-config.js';
import { AppError, type ErrorCode } from './errors.js';
import { createLogger } from './ops/logger.js';

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
  // In console mode stdout is the chat: logs go to stderr, and only warnings unless LOG_LEVEL says otherwise.
  // When stderr is the same terminal, a warning (a JSON line with a stack, e.g. for every failed request) would
  // land in the middle of the chat, which already told the person what went wrong: only errors are shown there.
  const consoleMode = config.slack.kind === 'console';
  const level = consoleMode && !process.env.LOG_LEVEL ? (process.stderr.isTTY ? 'error' : 'warn') : config.server.logLevel;
  const logger = createLogger({ level, secrets: config.secrets, ...(consoleMode ? { destination: pino.destination(2) } : {}) });

  let app;
  try {
    app = await startApp(config, { logger });
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

main().catch((error: unknown) => {
  process.stderr.write(`Fatal: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
