import { closeSync, fchmodSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '../../errors.js';
import {
  breakStale, createExclusive, errorCode, liveness, markHeld, markReleased, newRecord, readRecord, removeIfHeldBy,
  unlinkQuietly, type HolderRecord, type Liveness,
} from '../lock-file.js';

/**
 * One process per PGlite data directory. PGlite is a single-process database: two processes on the same files
 * each keep their own view and overwrite each other's pages. The lock file in the directory names its holder;
 * a second process is refused with STORE_LOCKED, and a lock left by a killed holder is taken over.
 */
export const LOCK_FILE = 'improver.lock';
/** The holder's control endpoint (loopback URL and token), mode 0600: the CLI hands its work to the running app. */
export const CONTROL_FILE = 'improver-control.json';

export interface ControlEndpoint {
  url: string;
  /** Secret: never log it. */
  token: string;
}

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock. */
  startedAt: string;
  control?: ControlEndpoint;
}

export interface DataDirLock {
  /** The real path of the locked directory. */
  readonly dataDir: string;
  readonly holder: LockHolder;
  /** Publishes the control endpoint to other processes, in a file only the owner can read. */
  setControl(control: ControlEndpoint): void;
  /** Idempotent; also runs at process exit. Removes only this holding's files. */
  release(): void;
}

// A live contender breaking a stale lock finishes within microseconds; a half-written lock (hosts without hard
// links) is complete just as fast. These bound how long we wait for either before refusing.
const ATTEMPTS = 20;
const BACKOFF_MS = 25;

const held = new Set<DataDirLock>();
let exitHookInstalled = false;

/** Takes the data directory for this process, or throws STORE_LOCKED naming the live holder. */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true });
  const dir = realpathSync(dataDir);
  const lockFile = join(dir, LOCK_FILE);
  const mine = newRecord();
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    if (createExclusive(lockFile, mine)) return hold(dir, lockFile, mine);
    const current = readRecord(lockFile);
    if (current.kind === 'missing') continue; // released between our try and our look: try again at once
    if (current.kind === 'unreadable') {
      if (attempt === ATTEMPTS) throw unreadableLockError(dir, lockFile);
      await delay(BACKOFF_MS);
      continue;
    }
    const state = liveness(current.record);
    if (state !== 'dead') throw lockedError(dir, lockFile, current.record, state);
    if (breakStale(lockFile, current.record) === 'busy') await delay(BACKOFF_MS);
  }
  throw contendedError(dir, lockFile);
}

/**
 * The live holder of the data directory, with its control endpoint when it published one; null when nobody
 * holds it or the holder is dead. A holder on another host cannot be checked and is returned as is.
 */
export function readLockHolder(dataDir: string): LockHolder | null {
  let dir: string;
  try {
    dir = realpathSync(dataDir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
  const current = readRecord(join(dir, LOCK_FILE));
  if (current.kind !== 'held' || liveness(current.record) === 'dead') return null;
  const control = readControl(dir, current.record);
  return { ...publicHolder(current.record), ...(control ? { control } : {}) };
}

function hold(dir: string, lockFile: string, record: HolderRecord): DataDirLock {
  markHeld(record);
  removeLeftovers(dir);
  let released = false;
  const lock: DataDirLock = {
    dataDir: dir,
    holder: publicHolder(record),
    setControl(control) {
      if (released) throw new AppError('INTERNAL', `the lock on ${dir} was released; cannot publish a control endpoint`);
      writeControl(dir, record, control);
    },
    release() {
      if (released) return;
      released = true;
      held.delete(lock);
      removeControlIfOurs(dir, record);
      removeIfHeldBy(lockFile, record);
      markReleased(record);
    },
  };
  held.add(lock);
  installExitHook();
  return lock;
}

// process.exit() and a normal end run 'exit' listeners; SIGKILL and crashes do not, which is what the
// liveness check is for.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of [...held]) {
      try {
        lock.release();
      } catch {
        // Exiting anyway: a lock we could not remove is stale from now on and will be taken over.
      }
    }
  });
}

function writeControl(dir: string, record: HolderRecord, control: ControlEndpoint): void {
  const path = join(dir, CONTROL_FILE);
  const staging = `${path}.tmp-${record.nonce}`;
  // Written whole under a private name, then renamed: readers see the old file or the new one, never half.
  const fd = openSync(staging, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600); // 'w' keeps the mode of a file that already existed
    writeFileSync(fd, JSON.stringify({ nonce: record.nonce, url: control.url, token: control.token }));
  } finally {
    closeSync(fd);
  }
  renameSync(staging, path);
}

function readControl(dir: string, record: HolderRecord): ControlEndpoint | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(join(dir, CONTROL_FILE), 'utf8'));
  } catch {
    return undefined; // none published, or unreadable by us (another user's 0600 file)
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Record<string, unknown>;
  // A control file left by an earlier holder is not this holder's endpoint.
  if (c.nonce !== record.nonce || typeof c.url !== 'string' || typeof c.token !== 'string') return undefined;
  return { url: c.url, token: c.token };
}

function removeControlIfOurs(dir: string, record: HolderRecord): void {
  const path = join(dir, CONTROL_FILE);
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as { nonce?: unknown };
    if (value.nonce === record.nonce) unlinkQuietly(path);
  } catch {
    // None, or not ours to remove.
  }
}

/** Once we hold the lock: an earlier holder's control file, staging files and break guards of dead processes. */
function removeLeftovers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    // Any control file (or its staging file) now is from a holder before us: its endpoint is gone.
    if (name === CONTROL_FILE || name.startsWith(`${CONTROL_FILE}.tmp-`)) {
      unlinkQuietly(path);
    } else if (name.startsWith(`${LOCK_FILE}.`)) {
      // A live contender's staging file or guard stays; an unreadable one may be mid-write.
      const leftover = readRecord(path);
      if (leftover.kind === 'held' && liveness(leftover.record) === 'dead') unlinkQuietly(path);
    }
  }
}

function publicHolder(record: HolderRecord): LockHolder {
  return { pid: record.pid, host: record.host, startedAt: record.startedAt };
}

const WHAT_TO_DO = 'Stop the other process, or point DATA_DIR elsewhere; `npm run analyze` hands its work to a running app automatically.';

function lockedError(dir: string, lockFile: string, holder: HolderRecord, state: Liveness): AppError {
  const who = holder.pid === process.pid && state === 'alive' ? 'this process' : 'another process';
  const unknown = state === 'unknown'
    ? ` It runs on another host or in another container, so it cannot be checked from here; if it is gone, delete ${lockFile}.`
    : '';
  return new AppError('STORE_LOCKED',
    `The data directory ${dir} is in use by ${who}: pid ${holder.pid} on host ${holder.host}, since ${holder.startedAt}. ${WHAT_TO_DO}${unknown}`,
    { details: { dataDir: dir, lockFile, pid: holder.pid, host: holder.host, startedAt: holder.startedAt, holderCheckable: state !== 'unknown' } });
}

function unreadableLockError(dir: string, lockFile: string): AppError {
  return new AppError('STORE_LOCKED',
    `The data directory ${dir} has a lock file that cannot be read (${lockFile}); its holder is unknown. ${WHAT_TO_DO} If no other process uses this directory, delete that file.`,
    { details: { dataDir: dir, lockFile } });
}

function contendedError(dir: string, lockFile: string): AppError {
  return new AppError('STORE_LOCKED',
    `The data directory ${dir} is being taken by other processes right now (${lockFile} keeps changing hands). ${WHAT_TO_DO}`,
    { details: { dataDir: dir, lockFile } });
}
