// Prints .env.example from the variable list in src/config/variables.ts:
//   npx tsx scripts/env-example.ts > .env.example
// A test fails when .env.example or the README misses a variable.
import { VARIABLES } from '../src/config/variables.js';

const lines = [
  '# Configuration. Copy to .env (never commit it) or set these in the environment.',
  '# Nothing is required: with no Slack tokens the app opens a console chat on an embedded database.',
  '# Every line is commented out; uncomment and fill in what you need.',
  '',
];
let group = '';
for (const v of VARIABLES) {
  if (v.group !== group) {
    group = v.group;
    lines.push(`# ---------------- ${group} ----------------`, '');
  }
  lines.push(`# ${v.description}`, `# Expected: ${v.shape}.`, `# ${v.name}=${v.example}`, '');
}
process.stdout.write(process.argv.includes('--markdown') ? `${markdownTable()}\n` : lines.join('\n'));

/** `--markdown`: the README's configuration table instead. */
export function markdownTable(): string {
  const rows = VARIABLES.map((v) => {
    const parsed = v.schema.safeParse(undefined);
    // Transformed defaults (lists, weights) are shown the way they are written.
    const shown = (x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.values(x).join(',') : String(x));
    const fallback = parsed.success && parsed.data !== undefined ? `\`${shown(parsed.data)}\`` : '—';
    return `| \`${v.name}\` | ${v.group} | ${v.description.replace(/\|/g, '\\|')} | ${fallback} |`;
  });
  return ['| variable | group | meaning | default |', '|---|---|---|---|', ...rows].join('\n');
}
