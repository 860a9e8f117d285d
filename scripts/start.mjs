// `npm start`: builds dist/ when it is missing or older than src/ or supabase/, then runs the app.
// `node scripts/start.mjs --entry cli/analyze.js …` (npm run analyze) does the same for the analyze command.
// Keeps the newcomer's path to one command without shipping build output in git.
// Progress goes to stderr, so piped output (`echo hi | npm start --silent`) carries only answers.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
  const path = join(dir, entry.name);
  return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
}, 0);

const entryAt = process.argv.indexOf('--entry');
const entry = entryAt > 0 ? `dist/${process.argv[entryAt + 1]}` : 'dist/main.js';
if (entryAt > 0) process.argv.splice(entryAt, 2);
const stamp = 'dist/.built';
if (!existsSync(entry) || !existsSync(stamp) || newest('src') > statSync(stamp).mtimeMs) {
  // A full build took 18 s on a busy 2-core machine; later builds are incremental (dist/.tsbuildinfo).
  process.stderr.write(existsSync(entry) ? 'Building (tsc, src/ changed)…\n' : 'Building (tsc; the first build takes up to half a minute)…\n');
  const started = performance.now();
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
  writeFileSync(stamp, new Date().toISOString());
  process.stderr.write(`Built in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
}
// Loading the app's modules (Bolt, LangChain, PGlite…) takes a second or two before it can say anything.
if (entryAt < 0) process.stderr.write('Starting…\n');
await import(new URL(`../${entry}`, import.meta.url).href);
