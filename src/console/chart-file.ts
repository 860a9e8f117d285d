import { mkdir, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

/**
 * Saves a command's file (the /metrics chart) as DATA_DIR/charts/<name>-<UTC time><ext>, e.g.
 * charts/metrics-7d-20250301T142205Z.png, and returns its path. Never overwrites: a second chart in the
 * same second gets -2, -3….
 */
export async function saveChart(dataDir: string, filename: string, bytes: Buffer | Uint8Array, now = new Date()): Promise<string> {
  const dir = join(dataDir, 'charts');
  await mkdir(dir, { recursive: true });
  const ext = extname(filename);
  // Only the name's own characters, so a file name can never point outside charts/.
  const stem = filename.slice(0, filename.length - ext.length).replace(/[^A-Za-z0-9_-]+/g, '-') || 'chart';
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  for (let n = 1; ; n++) {
    const path = join(dir, `${stem}-${stamp}${n > 1 ? `-${n}` : ''}${ext.replace(/[^A-Za-z0-9.]/g, '')}`);
    try {
      await writeFile(path, bytes, { flag: 'wx' });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw error;
    }
  }
}
