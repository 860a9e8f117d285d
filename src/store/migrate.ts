import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
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
    const done = new Set((await tx.query<{ name: string }>('select name from app_migrations')).map((r) => r.name));
    const applied: string[] = [];
    const skipped: string[] = [];
    for (const file of files) {
      if (done.has(file)) {
        skipped.push(file);
        continue;
      }
      const sql = await readFile(`${migrationsDir}${file}`, 'utf8');
      await tx.exec(sql);
      await tx.query('insert into app_migrations (name, checksum) values ($1, $2)', [file, sha256(sql)]);
      applied.push(file);
    }
    if (seed) await tx.exec(seed);
    return { applied, skipped };
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
