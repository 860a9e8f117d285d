import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { VARIABLES } from '../../src/config/variables.js';

const envExample = readFileSync('.env.example', 'utf8');
const readme = readFileSync('README.md', 'utf8');

test.each(VARIABLES.map((v) => v.name))('%s is documented in .env.example and the README', (name) => {
  expect(envExample).toMatch(new RegExp(`^# ${name}=`, 'm'));
  expect(readme).toContain(`\`${name}\``);
});

test('the README names the two newcomer commands and the CI runs the README test command', () => {
  expect(readme).toContain('npm install && npm start');
  expect(readme).toContain('npm test');
  expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
});

test('versions that would pull a Node 22 line are pinned exactly', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const all = { ...pkg.dependencies, ...pkg.devDependencies };
  for (const name of ['@supabase/supabase-js', '@langchain/openai', 'vitest']) expect(all[name]).toMatch(/^\d+\.\d+\.\d+$/);
});
