import type { Logger } from '../ops/logger.js';
import { FailFastTransport } from '../outage/fail-fast-transport.js';
import { KnownThreads } from '../outage/known-threads.js';
import { LastKnownBudgets } from '../outage/last-known-budgets.js';
import { LastKnownAgents } from '../outage/last-known-agents.js';
import { StoreReachability } from '../outage/reachability.js';
import { RunReplayStore } from '../store/journal-replay.js';
import { Store } from '../store/store.js';
import { JournalFiles, type JournalBacklog, type JournalSettings } from './journal-files.js';
import { JournalFlusher } from './journal-flusher.js';
import { JournaledRunStore } from './journaled-runs.js';

export interface OutageHealth {
  /** 'ok': the database answers. 'degraded': it does not, and answers keep flowing into the journal.
   *  'unavailable': it does not, and the journal cannot be written either (runs cannot be recorded). */
  state: 'ok' | 'degraded' | 'unavailable';
  store: ReturnType<StoreReachability['state']>;
  journal: JournalBacklog & {
    /** Seconds since the oldest record waiting was written; null when nothing waits. */
    oldestAgeSeconds: number | null;
    /** Runs of this process whose records are still going to the journal (started, or continued, there). */
    journaledRuns: number;
  };
}

/**
 * What keeps the assistant answering through a database outage, wired once (app.ts): the reachability flag, the
 * last-known agent configs and threads for the fast path, the run log's journaled writes, and the flusher that
 * replays them when the database is back. See docs/OPERATING-outage.md.
 */
export class OutageMode {
  /** The store every component uses: calls fail at once while the database is known down (FailFastTransport). */
  readonly store: Store;
  readonly reach: StoreReachability;
  readonly agents: LastKnownAgents;
  readonly threads: KnownThreads;
  readonly budgets: LastKnownBudgets;
  readonly runs: JournaledRunStore;
  readonly files: JournalFiles;
  readonly flusher: JournalFlusher;

  constructor(store: Store, settings: JournalSettings, logger: Logger, options: { probeIntervalMs?: number } = {}) {
    const log = logger.child({ component: 'journal' });
    this.reach = new StoreReachability(log);
    const raw = store;
    store = new Store(new FailFastTransport(raw.transport, this.reach), raw.control ? { control: raw.control } : {});
    this.store = store;
    this.files = new JournalFiles(settings, log);
    this.runs = new JournaledRunStore({ runs: store.runs, journal: this.files, reach: this.reach, logger: log, windowMs: settings.maxAgeMs });
    this.agents = new LastKnownAgents(store.agents, this.reach);
    this.budgets = new LastKnownBudgets(store.budgets, this.reach);
    this.threads = new KnownThreads(store.runs, this.reach, (w, c, t) => this.runs.knowsThread(w, c, t));
    this.flusher = new JournalFlusher({
      files: this.files, replay: new RunReplayStore(raw.transport), ping: () => raw.ping(), reach: this.reach,
      onReplayed: (ids) => this.runs.replayed(ids), logger: log, ...(options.probeIntervalMs ? { intervalMs: options.probeIntervalMs } : {}),
    });
  }

  /** At start: adopts records a dead process left (replayed at once, the database being up), warms the general specialist. */
  async start(warmAgents: string[]): Promise<void> {
    await this.files.adoptLeftovers();
    await this.agents.warm(warmAgents).catch(() => {});
    this.flusher.start();
    if (this.files.backlog().records > 0) await this.flusher.tick();
  }

  health(): OutageHealth {
    const store = this.reach.state();
    const backlog = this.files.backlog();
    const oldestAgeSeconds = backlog.oldestAt === null ? null : Math.max(0, Math.round((Date.now() - Date.parse(backlog.oldestAt)) / 1000));
    const journal = { ...backlog, oldestAgeSeconds, journaledRuns: this.runs.journaledRuns };
    return { state: store.reachable ? 'ok' : backlog.writeFailing ? 'unavailable' : 'degraded', store, journal };
  }

  /** Before the store closes: one last flush if the database answers, then the journal is closed (records stay on disk). */
  async close(): Promise<void> {
    await this.flusher.stop();
    if (this.files.backlog().records > 0) await this.flusher.tick().catch(() => null);
    await this.files.close();
  }
}
