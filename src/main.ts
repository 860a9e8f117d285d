import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from './config/load-config.js';
import { createLogger } from './ops/logger.js';
import { openStore } from './store/open-store.js';
import { AppError } from './errors.js';

/**
 * Composition root: reads configuration, opens the store, picks the surface (Slack HTTP, Socket Mode or
 * console) and wires everything. The only module that chooses adapters.
 */
export async function main(): Promise<void> {
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
  const logger = createLogger({ level: config.server.logLevel, secrets: config.secrets });
  let store;
  try {
    store = await openStore(config.store);
  } catch (error) {
    const message = error instanceof AppError ? error.message : String(error);
    logger.fatal({ err: error, store: config.store.kind }, 'could not open the store');
    process.stderr.write(`Could not open the ${config.store.kind} store: ${message}\n`);
    process.exit(1);
  }
  logger.info({ mode: config.slack.kind, store: store.kind }, 'store ready');
  await store.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`Fatal: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
