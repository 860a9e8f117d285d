import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { startApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config/load-config.js';
import { AppError } from './errors.js';
import { createLogger } from './ops/logger.js';

// Whatever happens, the process exits within this after SIGTERM/SIGINT.
const HARD_EXIT_MS = 10_000;

/** Entry point: configuration (exit 2 when invalid or the data directory is in use), then the app in the mode the environment selects. */
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
  const consoleMode = config.slack.kind === 'console';
  const level = consoleMode && !process.env.LOG_LEVEL ? 'warn' : config.server.logLevel;
  const logger = createLogger({ level, secrets: config.secrets, ...(consoleMode ? { destination: pino.destination(2) } : {}) });

  let app;
  try {
    app = await startApp(config, { logger });
  } catch (error) {
    if (error instanceof AppError && error.code === 'STORE_LOCKED') {
      // Another process has the data directory: the operator's to resolve, not a crash, so no stack; status 2.
      logger.fatal({ code: error.code, ...error.details }, 'could not start: data directory in use');
      process.stderr.write(`Could not start: ${error.message}\n`);
      process.exit(2);
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
