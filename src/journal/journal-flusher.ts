import type { Logger } from '../ops/logger.js';
import type { StoreReachability } from '../outage/reachability.js';
import type { RunReplayStore } from '../store/journal-replay.js';
import { asAppError } from '../errors.js';
import type { JournalFiles, Segment } from './journal-files.js';
import type { JournalRecord } from './records.js';
import { toReplayRow } from './replay-rows.js';

export interface FlushReport {
  segments: number;
  applied: number;
  skipped: number;
  rejected: number;
  duplicates: number;
  /** Records of runs whose start the journal's bound dropped: nothing to attach them to. */
  orphaned: number;
}

const BATCH = 100;

/**
 * Brings the journal back into the database. While the database is marked down (or the journal holds records) it
 * pings every `intervalMs`; once the ping answers it marks the database up (new runs go to it again) and replays
 * every sealed segment, oldest first, in batches of one transaction each, deleting a segment only after all of it
 * is in. Replay is idempotent (run_journal_replay), so a crash between a replay and the deletion, or an outage in
 * the middle of a flush, only means the same records are replayed again: nothing doubles. A record the database
 * refuses (STORE_QUERY_FAILED) is kept aside in rejected.jsonl and logged, so one bad record cannot hold back the rest.
 */
export class JournalFlusher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<FlushReport | null> | undefined;

  constructor(private readonly deps: {
    files: JournalFiles;
    replay: Pick<RunReplayStore, 'replay'>;
    /** True when the database answers (Store.ping). */
    ping: () => Promise<boolean>;
    reach: StoreReachability;
    /** Told which runs' finish is in the database now (JournaledRunStore.replayed). */
    onReplayed: (finishedRunIds: string[]) => void;
    logger: Logger;
    intervalMs?: number;
    /** A ping not answered within this is "still down" (default 5 s). */
    probeDeadlineMs?: number;
  }) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.tick(); }, this.deps.intervalMs ?? 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => null);
  }

  /** One probe-and-flush pass (one at a time); null when there was nothing to do or the database is still down. */
  tick(): Promise<FlushReport | null> {
    this.running ??= this.pass().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async pass(): Promise<FlushReport | null> {
    const { files, reach } = this.deps;
    if (!reach.down && files.backlog().records === 0) return null;
    // The age bound holds through a long outage too, not only when something is written.
    if (files.backlog().records > 0) await files.trim();
    if (!(await this.probe())) return null;
    reach.markUp();
    await files.seal();
    const report: FlushReport = { segments: 0, applied: 0, skipped: 0, rejected: 0, duplicates: 0, orphaned: 0 };
    for (const segment of files.segments()) {
      const done = await this.flushSegment(segment, report);
      if (!done) break;
    }
    if (report.segments > 0 || report.rejected > 0) {
      this.deps.logger.info({ ...report, backlog: files.backlog() }, 'run-log journal replayed into the database');
    }
    return report;
  }

  /** The ping with a deadline: a hung connection must not stop the probing for good. */
  private async probe(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), this.deps.probeDeadlineMs ?? 5000); timer.unref(); });
    try {
      return await Promise.race([this.deps.ping().catch(() => false), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** False when the database went away meanwhile (the segment stays, to be replayed again). */
  private async flushSegment(segment: Segment, report: FlushReport): Promise<boolean> {
    const records = await this.deps.files.read(segment);
    for (let i = 0; i < records.length; i += BATCH) {
      const ok = await this.replayBatch(records.slice(i, i + BATCH), report);
      if (!ok) return false;
    }
    await this.deps.files.remove(segment);
    report.segments++;
    this.deps.onReplayed(records.filter((r) => r.type === 'finish').map((r) => r.runId));
    return true;
  }

  private async replayBatch(batch: JournalRecord[], report: FlushReport): Promise<boolean> {
    try {
      this.count(await this.deps.replay.replay(batch.map(toReplayRow)), report);
      return true;
    } catch (raw) {
      const error = asAppError(raw);
      if (error.code === 'STORE_UNAVAILABLE') return this.lost(error);
      // One record of the batch is refused: replay them one at a time to find it, and keep it aside.
      for (const record of batch) {
        try {
          this.count(await this.deps.replay.replay([toReplayRow(record)]), report);
        } catch (rawOne) {
          const one = asAppError(rawOne);
          if (one.code === 'STORE_UNAVAILABLE') return this.lost(one);
          await this.deps.files.reject(record, one);
          report.rejected++;
          this.deps.logger.error({ code: one.code, details: one.details, runId: record.runId, type: record.type, recordId: record.id },
            'the database refused a journaled run-log record; it is kept in rejected.jsonl of the journal slot');
        }
      }
      return true;
    }
  }

  private count(result: Awaited<ReturnType<RunReplayStore['replay']>>, report: FlushReport): void {
    report.applied += result.applied;
    report.skipped += result.skipped;
    report.orphaned += result.orphaned;
    report.duplicates += result.duplicates.length;
    for (const d of result.duplicates) {
      this.deps.logger.warn({ runId: d.runId, duplicateOf: d.duplicateOf },
        'a run journaled during the outage found its Slack key held by another run (another instance answered it, or a claim that answered after its deadline): both are kept, this one marked duplicate_of');
    }
  }

  private lost(error: ReturnType<typeof asAppError>): false {
    this.deps.reach.markDown(error);
    return false;
  }
}
