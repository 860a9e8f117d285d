import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { AppError } from '../../src/errors.js';
import { acquireDataDirLock, CONTROL_FILE, LOCK_FILE, readLockHolder } from '../../src/store/pglite/data-dir-lock.js';
import { breakStale, createExclusive, liveness, newRecord, readRecord } from '../../src/store/lock-file.js';
import { openPglite } from '../../src/store/pglite/pglite-client.js';
import { Child } from './fixtures/child.js';

// Real processes on a real data directory: each child opens it through openPglite (or takes the bare lock),
// reports on stdout, and every wait below is on a child's output or exit, bounded by Child.next's deadline.
const OPEN = 'tests/store/fixtures/open-data-dir.ts';
const CONTEND = 'tests/store/fixtures/lock-contender.ts';

const children: Child[] = [];
const dirs: string[] = [];

function start(script: string, args: string[], env: Record<string, string> = {}): Child {
  const child = new Child(script, args, env);
  children.push(child);
  return child;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'datalock-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((child) => child.exited));
  children.length = 0;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.length = 0;
});

describe('one process per PGlite data directory', () => {
  test('a second process is refused with STORE_LOCKED, the app exits 2, and the data stays intact', async () => {
    const dir = tempDir();
    const first = start(OPEN, [dir, '--insert', '5', '--hold']);
    const ready = await first.next('ready');
    expect(ready).toMatchObject({ rows: 5, locked: true });
    expect(readLockHolder(dir)).toEqual({ pid: first.pid, host: hostname(), startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const since = readLockHolder(dir)!.startedAt;

    // It would add 4 rows if it got in.
    const second = start(OPEN, [dir, '--insert', '4']);
    const refused = await second.next('refused');
    expect(refused.code).toBe('STORE_LOCKED');
    const message = String(refused.message);
    expect(message).toContain(realpathSync(dir));
    expect(message).toContain(`pid ${first.pid} on host ${hostname()}, since ${since}`);
    expect(message).toContain('Stop the other process, or point DATA_DIR elsewhere; `npm run analyze` hands its work to a running app automatically.');
    expect((await second.exited).code).toBe(3);

    // The real entry point, as `npm start` runs it: no Slack tokens and stdin closed select console mode.
    const app = start('src/main.ts', [], { DATA_DIR: dir });
    app.process.stdin.end();
    expect((await app.exited).code).toBe(2);
    expect(app.stderr).toContain(`Could not start: The data directory ${realpathSync(dir)} is in use by another process: pid ${first.pid}`);
    expect(app.stderr).toContain('point DATA_DIR elsewhere');
    expect(app.stderr).not.toMatch(/\n\s+at /); // no stack

    first.send('stop');
    await first.next('closed');
    expect((await first.exited).code).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(readLockHolder(dir)).toBeNull();

    const third = start(OPEN, [dir]);
    expect(await third.next('ready')).toMatchObject({ rows: 5, locked: true });
    expect((await third.exited).code).toBe(0);
  }, 120_000);

  test('a holder killed with SIGKILL leaves a stale lock that the next process takes over, data intact', async () => {
    const dir = tempDir();
    const token = 'ctl-token-0f3a9c27d1e84b56';
    const control = { url: 'http://127.0.0.1:43117', token };
    const holder = start(OPEN, [dir, '--insert', '3', '--hold'], { CONTROL_URL: control.url, CONTROL_TOKEN: token });
    await holder.next('ready');

    // The control endpoint is published for the CLI, in a file only the owner can read.
    expect(readLockHolder(dir)).toEqual({ pid: holder.pid, host: hostname(), startedAt: expect.any(String), control });
    expect(statSync(join(dir, CONTROL_FILE)).mode & 0o777).toBe(0o600);

    holder.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true); // no cleanup ran: the lock is stale, not gone
    expect(readLockHolder(dir)).toBeNull();

    const next = start(OPEN, [dir, '--hold']);
    expect(await next.next('ready')).toMatchObject({ rows: 3, locked: true });
    // The dead holder's endpoint (and token) went with it.
    expect(readLockHolder(dir)).toEqual({ pid: next.pid, host: hostname(), startedAt: expect.any(String) });
    expect(existsSync(join(dir, CONTROL_FILE))).toBe(false);

    // The taken-over lock is a real one.
    const other = start(OPEN, [dir]);
    const refused = await other.next('refused');
    expect(refused.code).toBe('STORE_LOCKED');
    expect(String(refused.message)).toContain(`pid ${next.pid}`);

    next.send('stop');
    expect((await next.exited).code).toBe(0);
    for (const child of [holder, next, other]) expect(child.stdout + child.stderr).not.toContain(token);
  }, 120_000);

  test('processes racing for a free lock or a stale one: exactly one wins each time', async () => {
    const dir = tempDir();
    const a = start(CONTEND, [dir]);
    const b = start(CONTEND, [dir]);
    await Promise.all([a.next('armed'), b.next('armed')]);
    let round = 0;
    const race = async () => {
      a.send('go');
      b.send('go');
      const results = await Promise.all([a.next(['won', 'lost'], round), b.next(['won', 'lost'], round)]);
      round += 1;
      expect(results.map((r) => r.event).sort()).toEqual(['lost', 'won']);
      expect(results.find((r) => r.event === 'lost')!.code).toBe('STORE_LOCKED');
      const winner = results[0]!.event === 'won' ? a : b;
      expect(readLockHolder(dir)?.pid).toBe(winner.pid);
      const releasedSoFar = winner.events.filter((e) => e.event === 'released').length;
      winner.send('release');
      await winner.next('released', releasedSoFar);
    };

    for (let i = 0; i < 10; i += 1) await race();
    expect(readLockHolder(dir)).toBeNull();

    // Stale: a holder killed with SIGKILL just before each race.
    for (let i = 0; i < 5; i += 1) {
      const doomed = start(CONTEND, [dir]);
      await doomed.next('armed');
      doomed.send('go');
      await doomed.next('won');
      doomed.kill('SIGKILL');
      await doomed.exited;
      expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
      await race();
    }
    // Takeovers leave no guard or staging files behind.
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  // The race the guard exists for, with its interleaving made explicit: this test process judges a lock stale,
  // then another process takes it over, then this one acts on its old judgement.
  test('a contender that judged the lock stale too late does not remove the lock another just took', async () => {
    const dir = tempDir();
    const lockFile = join(dir, LOCK_FILE);
    const doomed = start(CONTEND, [dir]);
    await doomed.next('armed');
    doomed.send('go');
    await doomed.next('won');
    doomed.kill('SIGKILL');
    await doomed.exited;
    const stale = readRecord(lockFile);
    if (stale.kind !== 'held') throw new Error(`expected a stale lock, found ${stale.kind}`);
    expect(liveness(stale.record)).toBe('dead');

    const taker = start(CONTEND, [dir]);
    await taker.next('armed');
    taker.send('go');
    await taker.next('won');
    expect(breakStale(lockFile, stale.record)).toBe('retry');
    expect(readLockHolder(dir)?.pid).toBe(taker.pid);

    // A breaker killed mid-break leaves its guard behind: the next contender breaks the guard, then the lock.
    taker.kill('SIGKILL');
    await taker.exited;
    const stale2 = readRecord(lockFile);
    if (stale2.kind !== 'held') throw new Error(`expected a stale lock, found ${stale2.kind}`);
    expect(createExclusive(`${lockFile}.break-${stale2.record.nonce}`, { ...newRecord(), pid: doomed.pid })).toBe(true);
    const late = start(CONTEND, [dir]);
    await late.next('armed');
    late.send('go');
    await late.next('won');
    expect(readLockHolder(dir)?.pid).toBe(late.pid);
    late.send('release');
    await late.next('released');
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  test('within one process the directory cannot be taken twice; in-memory PGlite takes no lock', async () => {
    const dir = tempDir();
    const lock = await acquireDataDirLock(dir);
    const again = await acquireDataDirLock(dir).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(AppError);
    expect((again as AppError).code).toBe('STORE_LOCKED');
    expect((again as AppError).category).toBe('SYSTEM');
    expect((again as AppError).retryable).toBe(false);
    expect((again as AppError).message).toContain(`in use by this process: pid ${process.pid}`);
    lock.release();
    (await acquireDataDirLock(dir)).release();

    const memory = await openPglite();
    expect(memory.lock).toBeUndefined();
    await memory.close();
  });
});
