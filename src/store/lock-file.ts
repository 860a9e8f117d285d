import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, readlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * An exclusive file that names its holder: created atomically, judged by whether the holder still lives,
 * broken only by the one contender that wins a guard file for that very holding.
 * Used by the embedded database's DATA_DIR lock (pglite/data-dir-lock.ts) and the outage journal's slots (src/journal).
 *
 * Why a pid file rather than proper-lockfile: proper-lockfile judges staleness by age (a lock not touched for
 * `stale` ms is taken over). PGlite runs its WASM on the main thread, so a long query or migration can block
 * the holder's timer past any such limit and a second process would take over a live lock; after a crash a
 * restart would also be refused until the lock ages out. And it records no holder (pid, host, since), which
 * the refusal message and the CLI hand-off need. A pid is checked directly instead: the kernel knows whether
 * it lives, at once and regardless of how busy the holder is.
 */
export interface HolderRecord {
  pid: number;
  host: string;
  /** ISO time the holding began. */
  startedAt: string;
  /** Random per holding: tells this holding apart from an earlier one (same pid after a restart, a reused pid). */
  nonce: string;
  /** Linux: the boot and pid namespace the pid belongs to; a pid means nothing outside them. */
  bootId?: string;
  pidNamespace?: string;
}

export type ReadResult =
  | { kind: 'missing' }
  | { kind: 'unreadable' }
  | { kind: 'held'; record: HolderRecord };

/** alive / dead: known from here. unknown: another host or pid namespace, so it cannot be checked: treat as alive. */
export type Liveness = 'alive' | 'dead' | 'unknown';

const BOOT_ID = readOptional(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
const PID_NAMESPACE = readOptional(() => readlinkSync('/proc/self/ns/pid'));

// Holdings of this process: a record with our own pid is ours only if its nonce is here (else it was left by an
// earlier process that had our pid, typically pid 1 in a restarted container).
const heldHere = new Set<string>();

export function newRecord(): HolderRecord {
  return {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    nonce: randomBytes(12).toString('hex'),
    ...(BOOT_ID ? { bootId: BOOT_ID } : {}),
    ...(PID_NAMESPACE ? { pidNamespace: PID_NAMESPACE } : {}),
  };
}

export function markHeld(record: HolderRecord): void { heldHere.add(record.nonce); }
export function markReleased(record: HolderRecord): void { heldHere.delete(record.nonce); }

/**
 * Creates `path` holding `record` only if it does not exist. The record is written and synced under a private
 * name first and then hard-linked into place, so a reader never sees a half-written lock.
 */
export function createExclusive(path: string, record: HolderRecord, mode = 0o644): boolean {
  const staging = `${path}.tmp-${record.nonce}-${randomBytes(4).toString('hex')}`;
  writeSynced(staging, JSON.stringify(record), mode);
  try {
    linkSync(staging, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    // Some mounts (vboxsf, some FUSE and SMB shares) have no hard links: O_EXCL creation instead, where a
    // reader may briefly see an empty file (readers retry an unreadable lock before giving up).
    if (errorCode(error) === 'EPERM' || errorCode(error) === 'ENOTSUP' || errorCode(error) === 'ENOSYS') {
      return createWithExcl(path, record, mode);
    }
    throw error;
  } finally {
    unlinkQuietly(staging);
  }
}

export function readRecord(path: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  const record = parseRecord(text);
  return record ? { kind: 'held', record } : { kind: 'unreadable' };
}

export function liveness(record: HolderRecord): Liveness {
  if (record.host !== hostname()) return 'unknown';
  if (record.bootId && BOOT_ID && record.bootId !== BOOT_ID) return 'dead';
  if (record.pidNamespace && PID_NAMESPACE && record.pidNamespace !== PID_NAMESPACE) return 'unknown';
  if (record.pid === process.pid) return heldHere.has(record.nonce) ? 'alive' : 'dead';
  try {
    process.kill(record.pid, 0);
    return 'alive';
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errorCode(error) === 'EPERM' ? 'alive' : 'dead';
  }
}

/**
 * Removes `path` if it still holds the dead holding `stale`. Several contenders may find the same stale lock;
 * only the one that creates the guard `<path>.break-<nonce>` may remove it, and it checks under that guard that
 * the lock is still that holding. So no contender can remove a lock another has just taken. A guard left by a
 * breaker that died is itself stale and broken the same way.
 * 'retry': look at the lock again; 'busy': a live contender is breaking it right now.
 */
export function breakStale(path: string, stale: HolderRecord): 'retry' | 'busy' {
  const guard = `${path}.break-${stale.nonce}`;
  const breaker = newRecord();
  if (!createExclusive(guard, breaker)) {
    const other = readRecord(guard);
    if (other.kind === 'missing') return 'retry';
    if (other.kind === 'unreadable' || liveness(other.record) !== 'dead') return 'busy';
    return breakStale(guard, other.record);
  }
  try {
    const now = readRecord(path);
    if (now.kind === 'held' && now.record.nonce === stale.nonce) unlinkQuietly(path);
  } finally {
    unlinkQuietly(guard);
  }
  return 'retry';
}

/** Removes `path` only if it still holds `record` (never someone else's holding). */
export function removeIfHeldBy(path: string, record: HolderRecord): void {
  const now = readRecord(path);
  if (now.kind === 'held' && now.record.nonce === record.nonce) unlinkQuietly(path);
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function createWithExcl(path: string, record: HolderRecord, mode: number): boolean {
  try {
    writeSynced(path, JSON.stringify(record), mode);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

function writeSynced(path: string, text: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function parseRecord(text: string): HolderRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (!Number.isInteger(r.pid) || (r.pid as number) <= 0) return null;
  if (typeof r.host !== 'string' || typeof r.startedAt !== 'string' || typeof r.nonce !== 'string') return null;
  return {
    pid: r.pid as number, host: r.host, startedAt: r.startedAt, nonce: r.nonce,
    ...(typeof r.bootId === 'string' ? { bootId: r.bootId } : {}),
    ...(typeof r.pidNamespace === 'string' ? { pidNamespace: r.pidNamespace } : {}),
  };
}

function readOptional(read: () => string): string | undefined {
  try {
    return read() || undefined;
  } catch {
    return undefined;
  }
}
