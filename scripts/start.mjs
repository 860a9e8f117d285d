// `npm start`: builds dist/ when it is missing or older than src/ or supabase/, then runs the app.
// Keeps the newcomer's path to one command without shipping build output in git.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
  const path = join(dir, entry.name);
  return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
}, 0);

const entry = 'dist/main.js';
const stamp = 'dist/.built';
if (!existsSync(entry) || !existsSync(stamp) || newest('src') > statSync(stamp).mtimeMs) {
  process.stderr.write('Building (tsc)…\n');
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  writeFileSync(stamp, new Date().toISOString());
}
await import(new URL(`../${entry}`, import.meta.url).href);
