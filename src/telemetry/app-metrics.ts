import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolStats } from '../agents/agent-pool.js';
import type { ModelCallEvent, ModelCallObserver } from '../model/models.js';
import type { RunEnd, RunObserver } from '../runlog/run-log.js';
import type { ToolCallEvent, ToolCallObserver } from '../tools/executor.js';

/** USD for a model call; null when the model has no price (the run log's catalogue). */
export type CostOf = (model: string, tokensIn: number, tokensOut: number) => number | null;

// Replies take seconds to minutes (goals up to GOAL_MAX_SECONDS); model calls a fraction of that.
const RUN_BUCKETS = [0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300, 600];
const MODEL_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
const TOOL_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60];

/**
 * The app's Prometheus metrics, in a registry of its own (not prom-client's global one), so two apps in one
 * process — as in the tests — keep separate counts. Counters are fed by the places that know (the run log's
 * finish, every metered model call, every tool call); the agent pool is read when scraped. Only metrics
 * something fills today are defined: a metric that always reads 0 would look like a measurement.
 */
export class AppMetrics implements RunObserver, ModelCallObserver, ToolCallObserver {
  readonly registry = new Registry();
  private readonly runs: Counter<'route' | 'outcome'>;
  private readonly runFailures: Counter<'route' | 'error_class'>;
  private readonly replyLatency: Histogram<'route' | 'outcome'>;
  private readonly modelCalls: Counter<'model' | 'kind' | 'outcome'>;
  private readonly modelDuration: Histogram<'model' | 'kind'>;
  private readonly tokens: Counter<'model' | 'agent' | 'kind' | 'type'>;
  private readonly cost: Counter<'model' | 'agent' | 'kind'>;
  private readonly unpriced: Counter<'model'>;
  private readonly toolCalls: Counter<'tool' | 'outcome'>;
  private readonly toolDuration: Histogram<'tool'>;
  private readonly analystRuns: Histogram<'job' | 'outcome'>;

  constructor(private readonly costOf: CostOf) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.runs = new Counter({ name: 'improver_runs_total', help: 'Runs finished, by route and outcome (the run status).', labelNames: ['route', 'outcome'], registers });
    this.runFailures = new Counter({ name: 'improver_run_failures_total', help: 'Runs that did not succeed, by route and error class.', labelNames: ['route', 'error_class'], registers });
    this.replyLatency = new Histogram({
      name: 'improver_reply_latency_seconds', help: 'From claiming a request to its answer delivered (or its failure), by route and outcome.',
      labelNames: ['route', 'outcome'], buckets: RUN_BUCKETS, registers,
    });
    this.modelCalls = new Counter({ name: 'improver_model_calls_total', help: 'Model calls, by model, step kind (model, router, plan, ...) and outcome.', labelNames: ['model', 'kind', 'outcome'], registers });
    this.modelDuration = new Histogram({ name: 'improver_model_call_duration_seconds', help: 'Duration of model calls, by model and step kind.', labelNames: ['model', 'kind'], buckets: MODEL_BUCKETS, registers });
    this.tokens = new Counter({ name: 'improver_model_tokens_total', help: 'Model tokens, by model, agent (empty: no specialist), step kind and type (input/output).', labelNames: ['model', 'agent', 'kind', 'type'], registers });
    this.cost = new Counter({ name: 'improver_model_cost_usd_total', help: 'Model spend in USD from the price catalogue, by model, agent and step kind (calls of unpriced models are not in it).', labelNames: ['model', 'agent', 'kind'], registers });
    this.unpriced = new Counter({ name: 'improver_model_calls_unpriced_total', help: 'Model calls that used tokens of a model missing from the price catalogue: their cost is unknown.', labelNames: ['model'], registers });
    this.toolCalls = new Counter({ name: 'improver_tool_calls_total', help: 'Tool calls, by tool and outcome (ok, error, timeout, refused, denied).', labelNames: ['tool', 'outcome'], registers });
    this.analystRuns = new Histogram({
      name: 'improver_analyst_run_duration_seconds', help: 'Analyst runs of this process, by job and outcome (succeeded, failed, taken_over): count and duration.',
      labelNames: ['job', 'outcome'], buckets: RUN_BUCKETS, registers });
    this.toolDuration = new Histogram({ name: 'improver_tool_call_duration_seconds', help: 'Running time of tool calls (approval waits excluded), by tool.', labelNames: ['tool'], buckets: TOOL_BUCKETS, registers });
  }

  runFinished(end: RunEnd): void {
    const route = end.route ?? 'none';
    this.runs.inc({ route, outcome: end.status });
    if (end.status !== 'succeeded') this.runFailures.inc({ route, error_class: end.errorClass ?? 'none' });
    if (end.latencyMs !== null) this.replyLatency.observe({ route, outcome: end.status }, end.latencyMs / 1000);
  }

  modelCall(event: ModelCallEvent): void {
    const model = event.responseModel ?? event.requestModel;
    const agent = event.agentId ?? '';
    this.modelCalls.inc({ model, kind: event.kind, outcome: event.status });
    this.modelDuration.observe({ model, kind: event.kind }, event.durationMs / 1000);
    if (event.tokensIn === 0 && event.tokensOut === 0) return;
    this.tokens.inc({ model, agent, kind: event.kind, type: 'input' }, event.tokensIn);
    this.tokens.inc({ model, agent, kind: event.kind, type: 'output' }, event.tokensOut);
    const usd = this.costOf(model, event.tokensIn, event.tokensOut);
    if (usd === null) this.unpriced.inc({ model });
    else this.cost.inc({ model, agent, kind: event.kind }, usd);
  }

  toolCall(event: ToolCallEvent): void {
    this.toolCalls.inc({ tool: event.tool, outcome: event.status });
    this.toolDuration.observe({ tool: event.tool }, event.latencyMs / 1000);
  }

  /** The text exposition, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** An analyst run ended (the scheduler's onRun). */
  analystRun(job: string, outcome: string, seconds: number): void {
    this.analystRuns.observe({ job, outcome }, seconds);
  }

  /**
   * Read at scrape time from the database: experiments running (all instances share them). A failed read keeps
   * the last value rather than reporting 0 experiments.
   */
  watchExperiments(running: () => Promise<number>): void {
    let last = 0;
    new Gauge({
      name: 'improver_experiments_running', help: 'Experiments serving a candidate to a share of conversations right now (all instances).', registers: [this.registry],
      async collect() {
        last = await running().catch(() => last);
        this.set(last);
      },
    });
  }

  /** Read at scrape time: the orchestrator's runs in flight. */
  watchRunsInFlight(runsInFlight: () => number): void {
    new Gauge({
      name: 'improver_runs_in_flight', help: 'Runs being answered by this process right now.', registers: [this.registry],
      collect() { this.set(runsInFlight()); },
    });
  }

  /**
   * The outage journal at scrape time (src/journal, an in-memory read): what waits to be replayed into the run log,
   * and whether the database answers. A backlog that stays above 0 with the database reachable means replay is stuck.
   */
  watchJournal(read: () => { reachable: boolean; runs: number; records: number; bytes: number; dropped: number }): void {
    const registers = [this.registry];
    new Gauge({ name: 'improver_journal_backlog_runs', help: 'Runs with run-log records in the outage journal, not yet replayed into the database.', registers, collect() { this.set(read().runs); } });
    new Gauge({ name: 'improver_journal_backlog_records', help: 'Run-log records (starts, steps, finishes, answers) in the outage journal, not yet replayed.', registers, collect() { this.set(read().records); } });
    new Gauge({ name: 'improver_journal_backlog_bytes', help: 'Bytes of the outage journal on disk (bounded by JOURNAL_MAX_MB).', registers, collect() { this.set(read().bytes); } });
    new Counter({ name: 'improver_journal_dropped_records_total', help: 'Journal records dropped by JOURNAL_MAX_MB or JOURNAL_MAX_AGE_HOURS: lost to the run log.', registers, collect() { this.reset(); this.inc(read().dropped); } });
    new Gauge({ name: 'improver_database_reachable', help: '1 while this process reaches its database, 0 during an outage (answers go on; the run log is journaled).', registers, collect() { this.set(read().reachable ? 1 : 0); } });
  }

  /** AgentPool.stats() at scrape time (a cheap in-memory read); its counts only grow, so they are counters. */
  watchPool(stats: () => PoolStats): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, pick: (s: PoolStats) => number) =>
      new Gauge({ name, help, registers, collect() { this.set(pick(stats())); } });
    const counter = (name: string, help: string, pick: (s: PoolStats) => number) =>
      new Counter({ name, help, registers, collect() { this.reset(); this.inc(pick(stats())); } });
    gauge('improver_agent_pool_live', 'Specialists (agent versions) live in the pool.', (s) => s.live);
    gauge('improver_agent_queue_waiting', 'Requests waiting in line for a specialist (AGENT_MAX_CONCURRENT_RUNS) or an overall slot (MAX_CONCURRENT_RUNS).', (s) => s.waiting);
    counter('improver_agent_pool_hits_total', 'Requests whose specialist was live in the pool.', (s) => s.hits);
    counter('improver_agent_pool_misses_total', 'Requests whose specialist was not live (built, or joined a build under way).', (s) => s.misses);
    counter('improver_agent_pool_builds_total', 'Specialists built from their config.', (s) => s.builds);
    counter('improver_agent_pool_evictions_total', 'Specialists evicted because the pool was full (AGENT_POOL_MAX).', (s) => s.evictions);
    counter('improver_agent_pool_disposals_total', 'Specialists disposed for any reason (evicted, idle, outdated, shutdown).', (s) => s.disposals);
    counter('improver_agent_queue_waits_total', 'Requests that waited in line (a specialist at its limit, or every overall slot taken) and then got a slot.', (s) => s.queueWaits);
    counter('improver_agent_queue_wait_seconds_total', 'Seconds those requests waited in line, in all (divide by the waits for the mean wait).', (s) => s.queueWaitSeconds);
    counter('improver_agent_queue_refusals_total', 'Requests refused by a line: full (AGENT_QUEUE_MAX) or waited too long (QUEUE_MAX_WAIT_SECONDS).', (s) => s.queueRefusals);
  }
}
