import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { all, env, parseDockerfile, type Stage } from './dockerfile.js';
import { sourceFiles } from '../support/source-files.js';

// `docker compose up` must work on the first try, and this machine has no Docker engine: so the files are
// checked for what Docker would do with them (compose structure, the image's stages and instructions), and
// where an engine answers the image is really built and inspected.

const compose = YAML.parse(readFileSync('compose.yaml', 'utf8'), { strict: true, uniqueKeys: true, prettyErrors: true }) as {
  services: Record<string, Record<string, any>>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
};
const stages = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
const runtime = stages.at(-1)!;
const build = stages[0]!;
const dockerignore = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/** Compose interpolation of `${VAR}` / `${VAR:-default}` with the variables unset (a fresh checkout). */
const interpolate = (value: string) => value.replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_all, _name, fallback = '') => fallback);
const mapOf = (value: unknown): Record<string, string> => Array.isArray(value)
  ? Object.fromEntries(value.map((entry: string) => [entry.split('=')[0], entry.split('=').slice(1).join('=')]))
  : Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
const runs = (stage: Stage) => all(stage, 'RUN').map((i) => i.args);
const workdir = (stage: Stage) => all(stage, 'WORKDIR').at(-1)?.args ?? '/';

describe('compose.yaml', () => {
  const { app, postgres } = compose.services as Record<string, Record<string, any>>;

  test('has the compose structure: known top-level keys, every service built or pulled', () => {
    const allowed = new Set(['name', 'services', 'volumes', 'networks', 'configs', 'secrets']);
    expect(Object.keys(compose).filter((key) => !allowed.has(key) && !key.startsWith('x-'))).toEqual([]);
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'postgres']);
    for (const [name, service] of Object.entries(compose.services)) expect(service.image ?? service.build, name).toBeTruthy();
  });

  test('builds the app from this Dockerfile and takes its settings from .env', () => {
    const context = typeof app!.build === 'string' ? app!.build : app!.build.context;
    const dockerfile = typeof app!.build === 'string' ? 'Dockerfile' : app!.build.dockerfile ?? 'Dockerfile';
    expect(existsSync(join(context, dockerfile))).toBe(true);
    expect([app!.env_file].flat().map((entry: string | { path: string }) => typeof entry === 'string' ? entry : entry.path)).toContain('.env');
  });

  test('runs postgres:16 with a pg_isready healthcheck and its data on a named volume', () => {
    expect(postgres!.image).toBe('postgres:16');
    const check = [postgres!.healthcheck.test].flat().join(' ');
    expect(check).toMatch(/^CMD(-SHELL)? .*pg_isready/);
    const pgEnv = mapOf(postgres!.environment);
    expect(check).toContain(`-U ${pgEnv.POSTGRES_USER}`);
    expect(check).toContain(`-d ${pgEnv.POSTGRES_DB}`);
    for (const key of ['interval', 'timeout', 'retries']) expect(postgres!.healthcheck[key], key).toBeTruthy();
    const dataMount = (postgres!.volumes as string[]).find((mount) => mount.endsWith(':/var/lib/postgresql/data'));
    expect(dataMount).toBeDefined();
    // Only the app reaches the database, over the compose network.
    expect(postgres!.ports).toBeUndefined();
  });

  test('every named volume a service mounts is declared at the top level', () => {
    const used = Object.values(compose.services).flatMap((service) => (service.volumes ?? []) as string[])
      .map((mount) => mount.split(':')[0]!)
      .filter((source) => !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('~'));
    expect(used.length).toBeGreaterThan(0);
    for (const volume of used) expect(Object.keys(compose.volumes ?? {}), volume).toContain(volume);
  });

  test('starts the app once postgres is healthy, pointed at it with matching credentials', () => {
    expect(app!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    const pgEnv = mapOf(postgres!.environment);
    const url = new URL(interpolate(mapOf(app!.environment).DATABASE_URL!));
    expect(url.protocol).toBe('postgres:');
    expect(url.hostname).toBe('postgres'); // the service name, resolved on the compose network
    expect(url.port || '5432').toBe('5432');
    expect(url.pathname).toBe(`/${pgEnv.POSTGRES_DB}`);
    expect(url.username).toBe(pgEnv.POSTGRES_USER);
    expect(url.password).toBe(interpolate(pgEnv.POSTGRES_PASSWORD!));
  });

  test('publishes the port the app listens on (/slack/events in HTTP mode, /health always)', () => {
    const port = mapOf(app!.environment).PORT ?? env(runtime).PORT;
    expect(port).toBeTruthy();
    const published = (app!.ports as string[]).map((mapping) => String(mapping).split(':').at(-1));
    expect(published).toContain(port);
    expect(all(runtime, 'EXPOSE').map((i) => i.args)).toContain(port);
  });

  test('keeps the image healthcheck (not disabled in compose) and lets the app finish within its grace', () => {
    expect(app!.healthcheck?.disable).not.toBe(true);
    expect(all(runtime, 'HEALTHCHECK')).toHaveLength(1);
    // main.ts exits at the latest 10 s after SIGTERM; compose must not kill it sooner.
    expect(Number.parseInt(app!.stop_grace_period, 10)).toBeGreaterThan(10);
  });
});

describe('Dockerfile', () => {
  test('is multi-stage: a named build stage, then a node:20-slim runtime stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build.name).toBeTruthy();
    expect(build.image).toMatch(/^node:20(-|$)/);
    expect(runtime.image).toBe('node:20-slim');
  });

  test('the build stage installs everything and runs the build script', () => {
    expect(runs(build).some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run))).toBe(true);
    expect(runs(build).some((run) => /\bnpm run build\b/.test(run))).toBe(true);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.build).toMatch(/tsconfig\.build\.json/);
    const copied = all(build, 'COPY').map((i) => i.args).join(' ');
    for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src']) expect(copied).toContain(path);
  });

  test('the runtime stage installs production dependencies only, and skipping install scripts loses nothing', () => {
    const install = runs(runtime).find((run) => /\bnpm ci --omit=dev\b/.test(run));
    expect(install).toBeDefined();
    if (install!.includes('--ignore-scripts')) {
      // Holds while no production package has an install script (package-lock's hasInstallScript).
      const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
      const scripted = Object.entries(lock.packages).filter(([path, p]) => path && p.hasInstallScript && !p.dev).map(([path]) => path);
      expect(scripted).toEqual([]);
    }
  });

  test('every package the app imports at run time is a production dependency (dev ones are not in the image)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Map<string, string>(); // package → first file importing it
    for (const file of sourceFiles('src')) {
      const text = readFileSync(file, 'utf8');
      // `import type` is erased by tsc; everything else (with verbatimModuleSyntax, even `import { type X }`) stays.
      const specifiers = [
        ...[...text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;'"]*?\sfrom\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!),
        ...[...text.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!),
        ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
      ];
      for (const specifier of specifiers) {
        if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (!imported.has(name)) imported.set(name, file);
      }
    }
    expect(imported.size).toBeGreaterThan(5);
    const notInstalled = [...imported].filter(([name]) => !pkg.dependencies[name]).map(([name, file]) => `${name} (${file})`);
    expect(notInstalled).toEqual([]);
  });

  test('copies dist/ from the build stage and supabase/ where dist/store/migrate.js looks for it', () => {
    const copies = all(runtime, 'COPY').map((i) => i.args.split(' '));
    const dist = copies.find((args) => args[0] === `--from=${build.name}`);
    expect(dist?.slice(1)).toEqual([`${workdir(build)}/dist`, './dist']);
    const supabase = copies.find((args) => args[0] === 'supabase');
    expect(supabase).toBeDefined();
    const imageSupabase = posix.join(workdir(runtime), supabase![1]!);
    // The app resolves the directory relative to its own module: read that path from the code.
    const relative = /new URL\('([^']+)', import\.meta\.url\)/.exec(readFileSync('src/store/migrate.ts', 'utf8'))![1]!;
    const resolved = fileURLToPath(new URL(relative, `file://${workdir(runtime)}/dist/store/migrate.js`));
    expect(posix.normalize(`${resolved}/`)).toBe(posix.normalize(`${imageSupabase}/`));
    expect(existsSync('supabase/migrations')).toBe(true);
    expect(existsSync('supabase/seed.sql')).toBe(true);
  });

  test('runs as an unprivileged user, with DATA_DIR on a volume that user owns', () => {
    const users = all(runtime, 'USER').map((i) => i.args);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.split(':')[0]!;
    expect(['root', '0']).not.toContain(user);
    const dataDir = env(runtime).DATA_DIR!;
    expect(dataDir).toMatch(/^\//);
    expect(all(runtime, 'VOLUME').map((i) => i.exec ?? i.args.split(' ')).flat()).toContain(dataDir);
    expect(runs(runtime).some((run) => new RegExp(`chown ${user}(:\\S+)? ${dataDir}\\b`).test(run))).toBe(true);
  });

  test('checks /health with node (the slim image has no curl) and starts dist/main.js', () => {
    const [healthcheck] = all(runtime, 'HEALTHCHECK');
    expect(healthcheck?.exec?.[0]).toBe('node');
    expect(healthcheck!.args).toContain('/health');
    expect(healthcheck!.args).not.toMatch(/\b(curl|wget)\b/);
    const cmd = all(runtime, 'CMD').at(-1);
    expect(cmd?.exec).toEqual(['node', 'dist/main.js']);
    // tsc (tsconfig.build.json: rootDir src, outDir dist) emits src/main.ts as dist/main.js.
    const buildConfig = JSON.parse(readFileSync('tsconfig.build.json', 'utf8')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect([buildConfig.compilerOptions.rootDir, buildConfig.compilerOptions.outDir]).toEqual(['src', 'dist']);
    expect(existsSync('src/main.ts')).toBe(true);
  });

  test('installs the font the metrics chart is drawn in', () => {
    expect(readFileSync('src/metrics/chart.ts', 'utf8')).toContain('DejaVu Sans');
    expect(runs(runtime).some((run) => /apt-get install .*fonts-dejavu/.test(run))).toBe(true);
  });

  test('.dockerignore keeps secrets and host builds out, and what the build copies in', () => {
    for (const pattern of ['.env', '.env.*', 'node_modules/', '.data/', 'dist/', '.git/']) expect(dockerignore).toContain(pattern);
    const copiedSources = stages.flatMap((stage) => all(stage, 'COPY').filter((i) => !i.args.startsWith('--from')).flatMap((i) => i.args.split(' ').slice(0, -1)));
    for (const source of copiedSources) {
      expect(dockerignore.some((pattern) => pattern.replace(/\/$/, '') === source.replace(/\/$/, '')), source).toBe(false);
    }
  });
});

// Where a Docker engine answers, build the image for real and look inside it.
const engine = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 15_000 });
const engineProblem = engine.error ? `no docker binary (${engine.error.message})`
  : engine.status !== 0 ? `no Docker engine answers (docker info: ${(engine.stderr || '').trim().split('\n').at(-1)})` : undefined;

function docker(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`docker ${args[0]} timed out after ${timeoutMs} ms\n${output}`)); }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

if (engineProblem) process.stderr.write(`compose.test: not building the image: ${engineProblem}\n`);
const buildTitle = engineProblem ? `builds the image (skipped: ${engineProblem})` : 'builds the image; it runs as non-root with dist/, supabase/ and the canvas binary';
test.skipIf(Boolean(engineProblem))(buildTitle, async () => {
  const tag = `improver-compose-test:${process.pid}`;
  try {
    const built = await docker(['build', '-t', tag, '.'], 15 * 60_000);
    expect(built.code, built.output.slice(-4000)).toBe(0);
    const probe = await docker(['run', '--rm', '--entrypoint', 'sh', tag, '-c',
      'id -u && test -f dist/main.js && test -f supabase/seed.sql && ls supabase/migrations | grep -c "\\.sql$" && '
      + 'node -e "require(\'@napi-rs/canvas\'); console.log(\'canvas ok\')"'], 60_000);
    expect(probe.code, probe.output).toBe(0);
    const [uid, migrations] = probe.output.trim().split('\n');
    expect(uid).not.toBe('0');
    expect(Number(migrations)).toBeGreaterThan(0);
    expect(probe.output).toContain('canvas ok');
  } finally {
    await docker(['rmi', '-f', tag], 60_000).catch(() => undefined);
  }
}, 20 * 60_000);

// `docker compose config` validates against the real Compose schema; it needs the compose plugin, not an engine.
const composePlugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 15_000 });
const composeProblem = composePlugin.error ? 'no docker binary' : composePlugin.status !== 0 ? 'the docker compose plugin is not installed' : undefined;
test.skipIf(Boolean(composeProblem))(composeProblem ? `docker compose config accepts compose.yaml (skipped: ${composeProblem})` : 'docker compose config accepts compose.yaml', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  try {
    writeFileSync(join(dir, 'compose.yaml'), readFileSync('compose.yaml'));
    writeFileSync(join(dir, 'Dockerfile'), readFileSync('Dockerfile'));
    writeFileSync(join(dir, '.env'), ''); // env_file must exist; a fresh checkout has none, so use an empty one
    const checked = await docker(['compose', '--project-directory', dir, '-f', join(dir, 'compose.yaml'), 'config', '--quiet'], 60_000);
    expect(checked.code, checked.output).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
