import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { appendFile, open, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import {
  breakStale, createExclusive, liveness, markHeld, markReleased, newRecord, readRecord, removeIfHeldBy, type HolderRecord,
} from '../store/lock-file.js';
import { parseRecord, type JournalRecord } from './records.js';

export interface JournalSettings {
  /** DATA_DIR/journal: one numbered slot per process under it. */
  dir: string;
  /** JOURNAL_MAX_MB: past this size the oldest segments are dropped (logged with what they held). */
  maxBytes: number;
  /** JOURNAL_MAX_AGE_HOURS: segments whose newest record is older than this are dropped (logged). */
  maxAgeMs: number;
  /** A segment is closed for the flusher past this size (default: an eighth of maxBytes, 64 KB to 4 MB). */
  segmentBytes?: number;
}

export interface Segment {
  path: string;
  bytes: number;
  records: number;
  /** Epoch ms of its first record. */
  oldestAt: number | null;
  /** Epoch ms of its last record. */
  newestAt: number | null;
  /** The runs it holds records of. */
  runIds: Set<string>;
}

/** What a bound dropped: whole segments, oldest first. */
export interface Dropped {
  segments: number;
  records: number;
  runs: number;
  bytes: number;
}

export interface JournalBacklog {
  /** Runs with records waiting (a run's records may span segments). */
  runs: number;
  records: number;
  bytes: number;
  segments: number;
  /** ISO time of the oldest record waiting; null when none waits. */
  oldestAt: string | null;
  /** Records the database refused on replay, kept aside in rejected.jsonl. */
  rejected: number;
  /** Records dropped by JOURNAL_MAX_MB / JOURNAL_MAX_AGE_HOURS since this process started. */
  dropped: number;
  /** True while the last write to the journal failed (disk full, permissions): runs cannot be recorded. */
  writeFailing: boolean;
}

const SLOTS = 16;
const LOCK = 'holder.lock';
const REJECTED = 'rejected.jsonl';
const SEGMENT = /^seg-(\d{8})\.jsonl$/;

/**
 * The journal on disk: append-only JSON-lines segments in this process's slot, DATA_DIR/journal/<n>/seg-*.jsonl.
 *
 * - Durable: an append resolves only after its line is written and fdatasync'd. Appends that arrive while a sync
 *   is in flight are written together by the next one (group commit: an fsync per small batch, not per record).
 * - One writer per slot: a slot is held through a lock file naming its process (the same pid-liveness lock as the
 *   embedded database's), so two processes on one DATA_DIR write to two slots; a slot whose holder died is taken
 *   over, with what it left, by the next process that needs a slot — and its records are replayed then.
 * - Created lazily: nothing is written under DATA_DIR until the database is first unreachable (or a leftover
 *   slot is found at start), so a healthy deployment never touches the disk for it.
 * - Bounded: past JOURNAL_MAX_MB, or once a segment's newest record is older than JOURNAL_MAX_AGE_HOURS, the
 *   oldest segments are deleted, with a logged count of the records and runs they held (trim()). Answering never
 *   stops for the bound: an outage longer than the journal keeps costs the oldest records, not new answers.
 *   Otherwise a record leaves only once replayed (or, when the database refuses it, moved to rejected.jsonl).
 */
export class JournalFiles {
  private slot: { dir: string; lock: HolderRecord } | undefined;
  private active: { handle: FileHandle; segment: Segment } | undefined;
  private readonly sealed: Segment[] = [];
  private nextSeq = 1;
  private rejectedCount = 0;
  private droppedCount = 0;
  private writeFailing = false;
  private pending: Array<{ line: string; at: number; runId: string; resolve: () => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(readonly settings: JournalSettings, private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  /**
   * At start: takes over a slot a dead process left records in, so they are replayed (returns how many records).
   * Creates nothing when there is no journal directory.
   */
  async adoptLeftovers(): Promise<number> {
    if (this.slot || !existsSync(this.settings.dir)) return 0;
    for (const name of readdirSync(this.settings.dir).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b))) {
      const dir = join(this.settings.dir, name);
      if (!readdirSync(dir).some((f) => SEGMENT.test(f))) continue;
      const lock = takeSlot(dir);
      if (!lock) continue;
      this.slot = { dir, lock };
      await this.loadSlot();
      const records = this.backlog().records;
      this.logger.warn({ slot: dir, records }, 'found run-log journal records left by an earlier process; they are replayed once the database answers');
      return records;
    }
    return 0;
  }

  /**
   * Drops the oldest segments while the journal is over JOURNAL_MAX_MB or holds a segment older than
   * JOURNAL_MAX_AGE_HOURS (its newest record, so nothing younger than the bound goes). Runs after each write and
   * on each flusher pass; logs what was dropped.
   */
  trim(): Promise<Dropped> {
    const done = this.chain.then(() => this.dropOverBounds());
    this.chain = done.then(() => undefined, () => undefined);
    return done;
  }

  /** Appends one record; resolves once it is on disk (fdatasync). */
  append(record: JournalRecord): Promise<void> {
    if (this.closed) return Promise.reject(new AppError('SHUTTING_DOWN', 'the run-log journal is closed'));
    const line = `${JSON.stringify(record)}\n`;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ line, at: Date.parse(record.at), runId: record.runId, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        this.chain = this.chain.then(() => this.writeBatch());
      }
    });
  }

  /** Closes the segment being written, so every record appended so far is in a sealed segment. */
  seal(): Promise<void> {
    this.chain = this.chain.then(() => this.closeActive());
    return this.chain;
  }

  /** Sealed segments, oldest first: what the flusher replays. */
  segments(): Segment[] {
    return [...this.sealed];
  }

  /** The records of a sealed segment, in order. A torn last line (the process died mid-write, before the sync) is skipped. */
  async read(segment: Segment): Promise<JournalRecord[]> {
    const text = await readFile(segment.path, 'utf8');
    const lines = text.split('\n');
    const records: JournalRecord[] = [];
    let unreadable = 0;
    lines.forEach((line, i) => {
      if (!line) return;
      const record = parseRecord(line);
      if (record) records.push(record);
      else if (i < lines.length - 1 || text.endsWith('\n')) unreadable++;
    });
    if (unreadable > 0) this.logger.error({ segment: segment.path, unreadable }, 'run-log journal lines could not be read and are skipped');
    return records;
  }

  /** Deletes a sealed segment once every record in it is in the database. */
  async remove(segment: Segment): Promise<void> {
    await unlink(segment.path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    const at = this.sealed.findIndex((s) => s.path === segment.path);
    if (at >= 0) this.sealed.splice(at, 1);
  }

  /** Keeps a record the database refused, with why, in rejected.jsonl (for an admin), so the rest can flow. */
  async reject(record: JournalRecord, error: AppError): Promise<void> {
    const dir = this.ensureSlot();
    const line = `${JSON.stringify({ record, error: { code: error.code, message: error.message.slice(0, 500), details: error.details }, rejectedAt: new Date(this.now()).toISOString() })}\n`;
    await appendFile(join(dir, REJECTED), line, { mode: 0o600 });
    this.rejectedCount++;
  }

  backlog(): JournalBacklog {
    const totals = this.totals();
    return {
      runs: totals.runs, records: totals.records, bytes: totals.bytes, segments: this.sealed.length + (this.active ? 1 : 0),
      oldestAt: totals.oldestAt === null ? null : new Date(totals.oldestAt).toISOString(), rejected: this.rejectedCount,
      dropped: this.droppedCount, writeFailing: this.writeFailing,
    };
  }

  /** The slot directory in use, if any (tests, and the log line at adoption). */
  get slotDir(): string | undefined {
    return this.slot?.dir;
  }

  /** Stops appends, closes the segment and releases the slot (its records stay on disk for the next process). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.seal();
    if (this.slot) {
      removeIfHeldBy(join(this.slot.dir, LOCK), this.slot.lock);
      markReleased(this.slot.lock);
    }
  }

  private totals(): { runs: number; records: number; bytes: number; oldestAt: number | null } {
    const all = this.active ? [...this.sealed, this.active.segment] : this.sealed;
    const oldest = all.map((s) => s.oldestAt).filter((t): t is number => t !== null);
    return {
      runs: new Set(all.flatMap((s) => [...s.runIds])).size,
      records: all.reduce((n, s) => n + s.records, 0),
      bytes: all.reduce((n, s) => n + s.bytes, 0),
      oldestAt: oldest.length ? Math.min(...oldest) : null,
    };
  }

  private async writeBatch(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    try {
      // Segments are the unit of replay and of dropping: one spans at most an eighth of the age bound, so the bound
      // drops old records, not the new ones written into an old segment.
      if (this.active?.segment.oldestAt != null && this.now() - this.active.segment.oldestAt >= this.settings.maxAgeMs / 8) await this.closeActive();
      const active = await this.openActive();
      const text = batch.map((b) => b.line).join('');
      await active.handle.write(text);
      await active.handle.datasync();
      active.segment.bytes += Buffer.byteLength(text);
      active.segment.records += batch.length;
      active.segment.oldestAt ??= batch[0]!.at;
      active.segment.newestAt = batch[batch.length - 1]!.at;
      for (const b of batch) active.segment.runIds.add(b.runId);
      this.writeFailing = false;
      for (const b of batch) b.resolve();
      // And at most an eighth of the size bound (segmentBytes), so the size bound drops little at a time.
      if (active.segment.bytes >= this.segmentBytes()) await this.closeActive();
      await this.dropOverBounds();
    } catch (error) {
      if (!this.writeFailing) this.logger.error({ err: error }, 'run-log journal write failed');
      this.writeFailing = true;
      for (const b of batch) b.reject(error);
    }
  }

  private segmentBytes(): number {
    return this.settings.segmentBytes ?? Math.min(4 * 1024 * 1024, Math.max(64 * 1024, Math.floor(this.settings.maxBytes / 8)));
  }

  private async dropOverBounds(): Promise<Dropped> {
    const dropped: Dropped = { segments: 0, records: 0, runs: 0, bytes: 0 };
    const runs = new Set<string>();
    const overSize = () => this.totals().bytes > this.settings.maxBytes;
    const tooOld = (s: Segment) => s.newestAt !== null && this.now() - s.newestAt >= this.settings.maxAgeMs;
    for (;;) {
      if (this.sealed.length === 0 && this.active && (overSize() || tooOld(this.active.segment))) await this.closeActive();
      const oldest = this.sealed[0];
      if (!oldest || !(overSize() || tooOld(oldest))) break;
      this.sealed.shift();
      await unlink(oldest.path).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.error({ err: error, segment: oldest.path }, 'run-log journal segment could not be deleted');
      });
      dropped.segments++;
      dropped.records += oldest.records;
      dropped.bytes += oldest.bytes;
      for (const id of oldest.runIds) runs.add(id);
    }
    dropped.runs = runs.size;
    if (dropped.segments > 0) {
      this.droppedCount += dropped.records;
      this.logger.error({ ...dropped, maxBytes: this.settings.maxBytes, maxAgeMs: this.settings.maxAgeMs, backlog: this.backlog() },
        'run-log journal over JOURNAL_MAX_MB or JOURNAL_MAX_AGE_HOURS: its oldest records were dropped and will not reach the run log');
    }
    return dropped;
  }

  private async openActive(): Promise<{ handle: FileHandle; segment: Segment }> {
    if (this.active) return this.active;
    const dir = this.ensureSlot();
    const path = join(dir, `seg-${String(this.nextSeq++).padStart(8, '0')}.jsonl`);
    const handle = await open(path, 'a', 0o600);
    this.active = { handle, segment: { path, bytes: 0, records: 0, oldestAt: null, newestAt: null, runIds: new Set() } };
    return this.active;
  }

  private async closeActive(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    // Counted as sealed at once (its records are synced already), so the backlog never misses it while it closes.
    if (active.segment.records > 0) this.sealed.push(active.segment);
    await active.handle.close().catch((error: unknown) => this.logger.warn({ err: error }, 'run-log journal segment did not close cleanly'));
    if (active.segment.records === 0) await unlink(active.segment.path).catch(() => {});
  }

  /** This process's slot: the lowest-numbered one nobody alive holds. */
  private ensureSlot(): string {
    if (this.slot) return this.slot.dir;
    mkdirSync(this.settings.dir, { recursive: true, mode: 0o700 });
    for (let n = 0; n < SLOTS; n++) {
      const dir = join(this.settings.dir, String(n));
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const lock = takeSlot(dir);
      if (!lock) continue;
      this.slot = { dir, lock };
      // A slot taken over from a dead holder may hold its records: they join the backlog and are replayed too.
      void this.loadSlot().catch((error: unknown) => this.logger.error({ err: error, slot: dir }, 'run-log journal slot could not be read'));
      return dir;
    }
    throw new AppError('INTERNAL', `all ${SLOTS} run-log journal slots under ${this.settings.dir} are held by live processes`);
  }

  /** Registers the segments already in the slot (left by a dead holder), oldest first. */
  private async loadSlot(): Promise<void> {
    const dir = this.slot!.dir;
    const names = readdirSync(dir).filter((f) => SEGMENT.test(f)).sort();
    // Before any await: a segment opened meanwhile must get a number after every one already there.
    for (const name of names) this.nextSeq = Math.max(this.nextSeq, Number(SEGMENT.exec(name)![1]) + 1);
    for (const name of names) {
      const path = join(dir, name);
      if (this.sealed.some((s) => s.path === path) || this.active?.segment.path === path) continue;
      const segment: Segment = { path, bytes: (await stat(path)).size, records: 0, oldestAt: null, newestAt: null, runIds: new Set() };
      const records = await this.read(segment);
      segment.records = records.length;
      segment.oldestAt = records.length ? Date.parse(records[0]!.at) : null;
      segment.newestAt = records.length ? Date.parse(records[records.length - 1]!.at) : null;
      for (const r of records) segment.runIds.add(r.runId);
      if (segment.records > 0) this.sealed.push(segment);
      else await unlink(path).catch(() => {});
    }
    this.sealed.sort((a, b) => a.path.localeCompare(b.path));
    const rejected = await readFile(join(dir, REJECTED), 'utf8').catch(() => '');
    this.rejectedCount = rejected.split('\n').filter(Boolean).length;
  }
}

/** Takes the slot's lock for this process (breaking one a dead process left), or null when a live process has it. */
function takeSlot(dir: string): HolderRecord | null {
  const path = join(dir, LOCK);
  const mine = newRecord();
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, mine, 0o600)) {
      markHeld(mine);
      return mine;
    }
    const current = readRecord(path);
    if (current.kind === 'missing') continue;
    if (current.kind === 'unreadable' || liveness(current.record) !== 'dead') return null;
    if (breakStale(path, current.record) === 'busy') return null;
  }
  return null;
}
