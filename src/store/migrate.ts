import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';
import type { SqlClient } from './sql-client.js';

/** supabase/ at the project root, the same from src/store (tsx, vitest) and dist/store (built). */
export const SUPABASE_DIR = fileURLToPath(new URL('../../supabase/', import.meta.url));

// Any constant shared by all instances: the transaction-scoped advisory lock serialises concurrent migrators.
const MIGRATION_LOCK = 724_311_907;

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/**
 * Applies supabase/migrations/*.sql in name order, each once, then supabase/seed.sql (idempotent inserts).
 * Safe when two instances start at once: everything runs in one transaction holding an advisory lock, so
 * the second waits, then finds the migrations recorded and applies nothing.
 *
 * Applied migrations are immutable (as in Flyway and Rails): the checksum recorded when a file was applied
 * is compared with the file on every start, and a mismatch refuses to start, naming the file. New behaviour
 * comes in new files. A database that has migrations this code does not know (a newer release ran on it)
 * is refused too, rather than run by code that does not understand its schema.
 */
export async function migrate(client: SqlClient, dir: string = SUPABASE_DIR): Promise<MigrationResult> {
  const migrationsDir = `${dir}migrations/`;
  const files = (await readdir(migrationsDir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const seed = await readFile(`${dir}seed.sql`, 'utf8').catch(() => '');
  return client.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(`create table if not exists app_migrations (
      name text primary key, checksum text not null, applied_at timestamptz not null default now());
      alter table app_migrations enable row level security;`);
    const done = new Map((await tx.query<{ name: string; checksum: string }>('select name, checksum from app_migrations'))
      .map((r) => [r.name, r.checksum]));
    const unknown = [...done.keys()].filter((name) => !files.includes(name)).sort();
    if (unknown.length > 0) {
      throw new AppError('STORE_MIGRATION_MISMATCH',
        `The database has migrations this version of the app does not know (${unknown.join(', ')}): a newer release ` +
        'ran on it. Start that release again, or restore a backup taken before the upgrade.', { details: { unknown } });
    }
    const applied: string[] = [];
    const skipped: string[] = [];
    for (const file of files) {
      const sql = await readFile(`${migrationsDir}${file}`, 'utf8');
      const checksum = migrationChecksum(sql);
      const recorded = done.get(file);
      if (recorded !== undefined) {
        if (recorded !== checksum) {
          throw new AppError('STORE_MIGRATION_MISMATCH',
            `Migration ${file} differs from the version applied to this database (checksum ${recorded.slice(0, 12)} ` +
            `applied, ${checksum.slice(0, 12)} on disk). Applied migrations must never change: restore the file from ` +
            'the release you installed, and put new changes in a new migration file.', { details: { file } });
        }
        skipped.push(file);
        continue;
      }
      await tx.exec(sql);
      await tx.query('insert into app_migrations (name, checksum) values ($1, $2)', [file, checksum]);
      applied.push(file);
    }
    if (seed) await tx.exec(seed);
    return { applied, skipped };
  });
}

/** sha256 of the file with CRLF line ends read as LF, so a Windows checkout of the same file matches. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}
