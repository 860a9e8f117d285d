/**
 * A database as an earlier release left it, then upgraded: migrate with the migrations before a given one (the
 * previous release's schema and functions), and later with all of them, as the app does on its first start after
 * an upgrade. The same files, so the second migrate() finds the first ones recorded with their checksums and
 * applies only the rest.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, SUPABASE_DIR } from '../../src/store/migrate.js';
import type { SqlClient } from '../../src/store/sql-client.js';

/** The migration that made the analysts fast (issue #18): what compare-fixes holds back by default (the bench: --upgrade-from). */
export const ANALYST_SPEED_MIGRATION = '20261201000900_analyst_speed.sql';

/** Migrates to the schema before `first` (that migration and every later one held back). */
export async function migrateBefore(sql: SqlClient, first: string): Promise<void> {
  const files = readdirSync(join(SUPABASE_DIR, 'migrations'));
  if (!files.includes(first)) throw new Error(`no migration ${first} in supabase/migrations (have ${files.sort().join(', ')})`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-migrations-'));
  try {
    cpSync(SUPABASE_DIR, dir, { recursive: true });
    for (const f of files) if (f >= first) rmSync(join(dir, 'migrations', f));
    await migrate(sql, `${dir}/`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Applies the held-back migrations; returns their names and how long they took. */
export async function upgrade(sql: SqlClient): Promise<{ applied: string[]; seconds: number }> {
  const t0 = performance.now();
  const { applied } = await migrate(sql);
  return { applied, seconds: (performance.now() - t0) / 1000 };
}
