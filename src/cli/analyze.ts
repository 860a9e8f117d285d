import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createAnalysts } from '../analysts/create-analysts.js';
import { JOB_NAMES, type JobName } from '../analysts/job.js';
import type { SlotOutcome } from '../analysts/scheduler.js';
import { describeOutcome } from '../commands/improver-admin.js';
import { ConfigError, loadConfig } from '../config/load-config.js';
import { AppError } from '../errors.js';
import { createLogger } from '../ops/logger.js';
import { RunLog } from '../runlog/run-log.js';
import { openStore, readLockHolder } from '../store/open-store.js';

/**
 * `npm run analyze -- <job>|all`: runs the named analysts once against the configured store and prints what each
 * found. With embedded PGlite, only one process may open the data directory: when an app holds it, the work is
 * handed to that app over its loopback control endpoint (token from the data directory) and its findings printed;
 * only when no app runs does this process open the directory itself. Exit status: 0 done, 1 an analyst failed or the
 * work could not be done, 2 bad arguments or configuration.
 */
async function main(): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const asked = process.argv.slice(2).map((a) => a.toLowerCase()).filter(Boolean);
  const known = [...JOB_NAMES, 'all'];
  if (asked.length === 0 || asked.some((a) => !known.includes(a))) {
    process.stderr.write(`Usage: npm run analyze -- <${JOB_NAMES.join('|')}|all> [more jobs]\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) { process.stderr.write(`${error.message}\n`); return 2; }
    throw error;
  }
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', secrets: config.secrets });

  if (config.store.kind === 'pglite') {
    const holder = readLockHolder(config.store.dataDir);
    if (holder) {
      if (!holder.control) {
        process.stderr.write(`The app (pid ${holder.pid} on ${holder.host}) holds ${config.store.dataDir} but takes no work from other processes. ` +
          'Run the analysts from chat with /improver analyze, or stop the app and run this again.\n');
        return 1;
      }
      process.stdout.write(`The app (pid ${holder.pid}) holds ${config.store.dataDir}: handing the work to it.\n`);
      const response = await fetch(`${holder.control.url}/analyze`, {
        method: 'POST', headers: { authorization: `Bearer ${holder.control.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jobs: asked }), signal: AbortSignal.timeout(10 * 60_000),
      }).catch((error: unknown) => { process.stderr.write(`Could not reach the running app at ${holder.control!.url}: ${(error as Error).message}\n`); return null; });
      if (!response) return 1;
      if (!response.ok) { process.stderr.write(`The running app refused the work (HTTP ${response.status}).\n`); return 1; }
      const body = (await response.json()) as { jobs: JobName[]; outcomes: SlotOutcome[] };
      return print(body.outcomes, body.jobs, asked);
    }
  }
  let store;
  try {
    store = await openStore(config.store);
  } catch (error) {
    process.stderr.write(`Could not open the store: ${error instanceof AppError ? error.message : String(error)}\n`);
    return error instanceof AppError && error.code === 'STORE_LOCKED' ? 2 : 1;
  }
  try {
    const runLog = new RunLog(store.runs, config.model.catalogue, logger);
    const notices = { post: async (text: string) => { process.stdout.write(`[admin] ${text}\n`); } };
    const { scheduler, jobs } = createAnalysts(config, { store, runLog, logger, notices, holder: `${hostname()}:${process.pid}:cli:${randomUUID().slice(0, 8)}` });
    const names = asked.includes('all') ? jobs : jobs.filter((j) => asked.includes(j));
    return print(await scheduler.runNow(names), jobs, asked);
  } finally {
    await store.close();
  }
}

function print(outcomes: SlotOutcome[], configured: JobName[], asked: string[]): number {
  const off = asked.filter((a) => a !== 'all' && !configured.includes(a as JobName));
  for (const name of off) process.stdout.write(`• *${name}*: off in this configuration (LEARNING_ENABLED=false leaves only cost).\n`);
  for (const outcome of outcomes) process.stdout.write(`${describeOutcome(outcome).replace(/\*/g, '')}\n`);
  return outcomes.some((o) => o.claimed && 'error' in o) ? 1 : 0;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`analyze failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
