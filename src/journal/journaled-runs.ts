import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AppError } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import { isStoreUnavailable, type StoreReachability } from '../outage/reachability.js';
import type {
  FinishRunInput, Run, RunStep, RunStore, ServingRecord, StartRunInput, StartRunResult, StepInput,
} from '../store/runs.js';
import { storeUnavailable } from '../store/store-errors.js';
import type { JournalFiles } from './journal-files.js';
import type { JournalRecord } from './records.js';

/** What the run log writes (RunLog's port): this class is that port, with the journal behind the store. */
export type RunWrites = Pick<RunStore, 'start' | 'addStep' | 'finish' | 'recordServing' | 'setAnswer'>;

type Payload = JournalRecord extends infer R ? R extends JournalRecord ? Omit<R, 'v' | 'id' | 'at' | 'runId'> : never : never;

/**
 * The run log's writes, through to the store while it answers and to the on-disk journal while it does not.
 *
 * - A run started while the database is unreachable gets its id here and every one of its records (serving
 *   decision, steps, finish, answer text) goes to the journal, in order, until the flusher has replayed its finish.
 *   A run started in the store whose later writes meet the outage continues in the journal the same way ("sticky"),
 *   so its steps are never split between a live seq and a replayed one.
 * - STORE_QUERY_FAILED is not an outage: it is thrown as it is, never journaled.
 *
 * Exactly-once while the database is down: the database's run_start (unique workspace + event id, and workspace +
 * channel + message ts) cannot be asked, so this process keeps those keys in memory for the journal's window
 * (JOURNAL_MAX_AGE_HOURS, at most `maxKeys` keys), for runs started in the journal and in the store alike. The keys
 * of runs the database started are consulted only while it is down (while up, run_start decides: lease takeovers,
 * other instances); the keys of journaled runs always, since the database may not have them yet. A second delivery
 * is a duplicate, checked and reserved synchronously (no await between), so two concurrent deliveries cannot both
 * claim it. What this does NOT cover: another instance. Two
 * instances on one database that both receive one event during the outage (a Slack retry landing elsewhere, or
 * app_mention and message of one message sent to different instances) both answer it; when their journals are
 * replayed the second run is kept with its keys cleared and `duplicate_of` naming the first. A process restarted
 * during the outage rebuilds no keys from its journal: a retry of an event answered before the restart is answered again.
 */
export class JournaledRunStore implements RunWrites {
  private readonly sticky = new Set<string>();
  private readonly runs: LRUCache<string, Run>;
  /** Delivery keys of runs the database answered, consulted only while it is down. */
  private readonly seen: LRUCache<string, Run>;
  /** Delivery keys of runs started in the journal, consulted always (until the window ends). */
  private readonly journaledKeys: LRUCache<string, Run>;
  private readonly threads: LRUCache<string, true>;
  private readonly stepSeq = new Map<string, number>();

  constructor(private readonly deps: {
    runs: RunWrites; journal: JournalFiles; reach: StoreReachability; logger: Logger;
    /** The exactly-once window (JOURNAL_MAX_AGE_HOURS). */
    windowMs: number; maxKeys?: number; now?: () => number;
    /** How long run_start may take before the database is taken as down (default 5 s). */
    startDeadlineMs?: number;
  }) {
    this.runs = new LRUCache({ max: 20_000 });
    this.seen = new LRUCache({ max: deps.maxKeys ?? 100_000, ttl: deps.windowMs });
    this.journaledKeys = new LRUCache({ max: deps.maxKeys ?? 100_000, ttl: deps.windowMs });
    this.threads = new LRUCache({ max: 20_000, ttl: deps.windowMs });
  }

  /** Runs whose records are (also) in the journal and not yet all replayed. */
  get journaledRuns(): number {
    return this.sticky.size;
  }

  /** Whether a thread was started in the journal (KnownThreads: follow-ups there are the bot's). */
  knowsThread(workspaceId: string, channelId: string, threadTs: string): boolean {
    return this.threads.has(`${workspaceId}:${channelId}:${threadTs}`);
  }

  async start(input: StartRunInput): Promise<StartRunResult> {
    const keys = deliveryKeys(input);
    // A delivery of a run started in the journal: the database may not have it yet (the flush is under way).
    const journaled = keys.map((k) => this.journaledKeys.get(k)).find((r): r is Run => r !== undefined);
    if (journaled) return { run: journaled, created: false, claimed: false };
    if (!this.deps.reach.down) {
      try {
        // While it answers, the database decides (a lease taken over after a crash, another instance's claim).
        const result = await this.liveStart(input);
        for (const key of keys) this.seen.set(key, slim(result.run));
        if (result.claimed) this.runs.set(result.run.id, result.run);
        return result;
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        this.deps.reach.markDown(error);
      }
    }
    // The database is unreachable: the run starts in the journal. Check and reserve its keys before any await.
    const known = keys.map((k) => this.journaledKeys.get(k) ?? this.seen.get(k)).find((r): r is Run => r !== undefined);
    if (known) return { run: known, created: false, claimed: false };
    const at = this.now();
    const run = newRun(randomUUID(), input, at);
    for (const key of keys) this.journaledKeys.set(key, slim(run));
    this.sticky.add(run.id);
    this.runs.set(run.id, run);
    try {
      await this.write(run.id, { type: 'start', start: input }, at);
    } catch (error) {
      for (const key of keys) this.journaledKeys.delete(key);
      this.sticky.delete(run.id);
      this.runs.delete(run.id);
      throw storeUnavailable(`the database is unreachable and the run-log journal could not be written: ${(error as Error).message}`, error, { journal: 'write_failed' });
    }
    if (input.channelId) this.threads.set(`${input.workspaceId}:${input.channelId}:${input.threadTs ?? input.messageTs ?? ''}`, true);
    return { run, created: true, claimed: true };
  }

  /**
   * run_start with a deadline: a database that accepts connections and never answers (a frozen server, a network
   * black hole on a pooled connection) would otherwise hold the request forever, and nothing else of the request
   * can start before its run. Past the deadline the database is taken as down and the run starts in the journal.
   * If the late run_start does commit, that database run is closed as cancelled (its journaled twin answered), so
   * the event has one answered run; the journaled one is replayed with duplicate_of naming the cancelled one.
   */
  private liveStart(input: StartRunInput): Promise<StartRunResult> {
    const live = this.deps.runs.start(input);
    const ms = this.deps.startDeadlineMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(storeUnavailable(`run_start did not answer within ${ms} ms`, undefined, { step: 'deadline', deadlineMs: ms })), ms);
      timer.unref();
    });
    return Promise.race([live, deadline]).then((result) => {
      clearTimeout(timer);
      return result;
    }, (error: unknown) => {
      clearTimeout(timer);
      if ((error as AppError).details?.step === 'deadline') void this.closeLate(live, input);
      throw error;
    });
  }

  private async closeLate(live: Promise<StartRunResult>, input: StartRunInput): Promise<void> {
    const late = await live.catch(() => null);
    if (!late?.claimed) return;
    const journaled = deliveryKeys(input).map((k) => this.journaledKeys.get(k)).find((r) => r !== undefined);
    this.deps.logger.warn({ runId: late.run.id, journaledRunId: journaled?.id, eventId: input.eventId },
      'run_start answered after its deadline: that run is closed as cancelled, the journaled run answered the request');
    // It answered, but the breaker lets nothing through until the flusher's probe has marked the database up.
    await this.deps.reach.whenUp();
    await this.deps.runs.finish(late.run.id, {
      status: 'cancelled', errorClass: 'STORE_UNAVAILABLE',
      errorMessage: `run_start answered after its deadline; the request was answered by journaled run ${journaled?.id ?? '(none)'}`,
    }).catch((error: unknown) => this.deps.logger.warn({ err: error, runId: late.run.id }, 'late run could not be closed'));
  }

  async recordServing(runId: string, record: ServingRecord): Promise<void> {
    await this.route(runId, () => this.deps.runs.recordServing(runId, record), async () => {
      await this.write(runId, { type: 'serving', serving: record });
    });
    const run = this.runs.get(runId);
    if (run) {
      this.runs.set(runId, { ...run, route: record.route, routeReason: record.routeReason,
        ...(record.agent ? { agentIds: [record.agent.agentId], agentVersions: [record.agent] } : {}) });
    }
  }

  addStep(runId: string, step: StepInput): Promise<RunStep> {
    return this.route(runId, () => this.deps.runs.addStep(runId, step), async () => {
      const at = this.now();
      await this.write(runId, { type: 'step', step }, at);
      const seq = (this.stepSeq.get(runId) ?? 0) + 1;
      this.stepSeq.set(runId, seq);
      return journaledStep(runId, seq, step, at);
    });
  }

  async finish(runId: string, input: FinishRunInput): Promise<Run> {
    return this.route(runId, async () => {
      const run = await this.deps.runs.finish(runId, input);
      this.runs.delete(runId);
      return run;
    }, async () => {
      const at = this.now();
      // The journal keeps the answer text as its own record, as before run_finish took it (the replay is unchanged).
      const { answerText, ...finish } = input;
      await this.write(runId, { type: 'finish', finish }, at);
      if (answerText !== undefined) await this.write(runId, { type: 'answer', text: answerText });
      this.stepSeq.delete(runId);
      return finishedRun(this.runs.get(runId), runId, input, at);
    });
  }

  async setAnswer(runId: string, text: string): Promise<void> {
    await this.route(runId, () => this.deps.runs.setAnswer(runId, text), async () => {
      await this.write(runId, { type: 'answer', text });
    });
  }

  /** The flusher has replayed these runs' finish: their later writes (if any) may go to the database directly. */
  replayed(finishedRunIds: Iterable<string>): void {
    for (const id of finishedRunIds) {
      this.sticky.delete(id);
      this.runs.delete(id);
    }
  }

  /**
   * A sticky run's writes go to the journal. Otherwise: to the store unless it is known to be down, and to the
   * journal when the store turns out to be unreachable (the run becomes sticky from then on).
   */
  private async route<T>(runId: string, live: () => Promise<T>, journaled: () => Promise<T>): Promise<T> {
    if (!this.sticky.has(runId) && !this.deps.reach.down) {
      try {
        return await live();
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        this.deps.reach.markDown(error);
      }
    }
    this.sticky.add(runId);
    return journaled();
  }

  private async write(runId: string, payload: Payload, at = this.now()): Promise<string> {
    const id = randomUUID();
    await this.deps.journal.append({ v: 1, id, at: new Date(at).toISOString(), runId, ...payload } as JournalRecord);
    return id;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** What a duplicate delivery needs of its run (the id): up to maxKeys are kept, so not the request text. */
function slim(run: Run): Run {
  return { ...run, requestText: '', serving: null };
}

/** The Slack keys run_start deduplicates on (see supabase/migrations: runs_event_key, runs_message_key). */
function deliveryKeys(input: StartRunInput): string[] {
  return [
    ...(input.eventId ? [`${input.workspaceId}:event:${input.eventId}`] : []),
    ...(input.messageTs ? [`${input.workspaceId}:message:${input.channelId ?? ''}:${input.messageTs}`] : []),
  ];
}

function newRun(id: string, input: StartRunInput, at: number): Run {
  return {
    id, workspaceId: input.workspaceId, surface: input.surface, eventId: input.eventId ?? null, channelId: input.channelId ?? null,
    messageTs: input.messageTs ?? null, threadTs: input.threadTs ?? null, userId: input.userId ?? null, requestText: input.requestText ?? '',
    kind: input.kind ?? 'message', route: null, routeReason: null, agentIds: [], agentVersions: [], workflowId: null, workflowVersion: null,
    models: [], experimentId: null, experimentArm: null, serving: null, outcome: null, score: null, status: 'running', errorClass: null,
    errorMessage: null, tokensIn: 0, tokensOut: 0, costUsd: 0, costUnknownSteps: 0, latencyMs: null, attempt: 1, answerTs: null,
    delivered: false, startedAt: new Date(at).toISOString(), finishedAt: null,
  };
}

/** The run as the journal knows it once finished (totals are the database's to compute on replay). */
function finishedRun(base: Run | undefined, runId: string, input: FinishRunInput, at: number): Run {
  const run = base ?? newRun(runId, { workspaceId: '', surface: 'slack' }, at);
  const startedAt = Date.parse(run.startedAt);
  return {
    ...run, status: input.status, route: input.route ?? run.route, routeReason: input.routeReason ?? run.routeReason,
    agentIds: input.agentIds ?? run.agentIds, errorClass: input.errorClass ?? null, errorMessage: input.errorMessage ?? null,
    latencyMs: input.latencyMs ?? (base ? at - startedAt : null), answerTs: input.answerTs ?? run.answerTs,
    delivered: input.delivered ?? run.delivered, workflowId: input.workflowId ?? run.workflowId, finishedAt: new Date(at).toISOString(),
    ...(base ? {} : { startedAt: '' }),
  };
}

function journaledStep(runId: string, seq: number, step: StepInput, at: number): RunStep {
  return {
    id: 0, runId, seq, kind: step.kind, name: step.name ?? null, agentId: step.agentId ?? null, agentVersion: step.agentVersion ?? null,
    model: step.model ?? null, tokensIn: step.tokensIn ?? 0, tokensOut: step.tokensOut ?? 0, costUsd: step.costUsd ?? null,
    latencyMs: step.latencyMs ?? null, status: step.status, errorClass: step.errorClass ?? null, detail: step.detail ?? {},
    createdAt: new Date(at).toISOString(),
  };
}
