/**
 * Prints the top frames (self time) and the top packages/folders of a .cpuprofile.
 *   npx tsx bench/profile-top.ts <file.cpuprofile> [top=25]
 */
import { summarizeProfile } from './lib/cpuprofile.js';

const [file, top] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: npx tsx bench/profile-top.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const summary = summarizeProfile(file, Number(top ?? 25));
process.stdout.write(`recorded ${summary.totalMs} ms\n\nself time by package / folder\n`);
for (const a of summary.areas) process.stdout.write(`${String(a.share).padStart(5)}%  ${String(a.selfMs).padStart(7)} ms  ${a.area}\n`);
process.stdout.write('\ntop frames by self time\n');
for (const f of summary.frames) process.stdout.write(`${String(f.share).padStart(5)}%  ${String(f.selfMs).padStart(7)} ms  ${f.frame}  ${f.where}\n`);
process.stdout.write('\nself time charged to the nearest app function on the stack\n');
for (const f of summary.appCallers) process.stdout.write(`${String(f.share).padStart(5)}%  ${String(f.selfMs).padStart(7)} ms  ${f.frame}  ${f.where}\n`);
