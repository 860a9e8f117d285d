import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { AgentPool } from './agents/agent-pool.js';
import { RequestGate } from './limits/request-gate.js';
import { SpawnBudget, spawnSpecialist } from './agents/spawn-specialist.js';
import { GoalPath } from './goals/goal-path.js';
import { GoalRunner } from './goals/goal-runner.js';
import { ModelPlanner } from './goals/planner.js';
import { goalActions } from './goals/slack-goal-actions.js';
import { UniversalAgent } from './agents/universal-agent.js';
import type { Config } from './config/load-config.js';
import { runConsoleChat } from './console/console-chat.js';
import { LangChainModelPort } from './model/langchain-port.js';
import { Models } from './model/models.js';
import type { ModelPort } from './model/port.js';
import type { Logger } from './ops/logger.js';
import { DirectAnswer } from './orchestrator/direct-answer.js';
import { Orchestrator } from './orchestrator/orchestrator.js';
import { RunLog } from './runlog/run-log.js';
import { OutageMode } from './journal/outage-mode.js';
import { storeUnavailable } from './store/store-errors.js';
import { EmbeddingMatcher } from './serving/embedding-matcher.js';
import { ChatModelRouter } from './serving/model-router.js';
import { FALLBACK_AGENT_ID, Router } from './serving/router.js';
import { ServingDecider } from './serving/serving.js';
import { StoreWorkflowMatcher } from './workflows/workflow-matcher.js';
import { ExperimentArms } from './improvement/experiment-arms.js';
import { NO_EXPERIMENTS } from './serving/arms.js';
import type { CommandDispatcher } from './commands/dispatcher.js';
import { appHome } from './commands/app-home.js';
import { createImproverCommands } from './commands/improver-commands.js';
import { slackCommands } from './commands/slack-commands.js';
import { slackFeedback } from './feedback/slack-feedback.js';
import { createSlackApp, type SlackApp, type SlackFeature } from './slack/slack-app.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { createToolLayer, type ToolLayer } from './tools/tool-layer.js';
import { AppMetrics } from './telemetry/app-metrics.js';
import { serveMetrics } from './telemetry/metrics-server.js';
import { createTracing } from './telemetry/tracing.js';
import { createAnalysts } from './analysts/create-analysts.js';
import type { AdminNotices, JobName } from './analysts/job.js';
import type { Scheduler } from './analysts/scheduler.js';
import { KnownRecoveries } from './recovery/known-recoveries.js';
import { startControlServer } from './ops/control-server.js';
import { JOB_NAMES } from './analysts/job.js';
import { BudgetPolicy } from './budgets/budget-policy.js';
import { CachePolicy } from './improvement/response-cache.js';
import { ExperimentLoop } from './improvement/experiment-loop.js';
import { OutcomeTracker } from './improvement/outcomes.js';
import { approvalBlocks, improverActions } from './commands/slack-improver-actions.js';

export interface StartOptions {
  logger: Logger;
  /** Console mode streams (default: the process's). */
  console?: { input: Readable; output: Writable; status: Writable; interactive: boolean };
  /** Test hooks: WebClient options (fast retries), an already-open store, a model port double. */
  slackClientOptions?: Record<string, unknown>;
  store?: Store;
  modelPort?: ModelPort;
}

export interface RunningApp {
  mode: Config['slack']['kind'];
  /** HTTP port in server modes (/slack/events, /health, and /metrics unless METRICS_PORT is set). */
  port?: number;
  /** METRICS_PORT's server, when set. */
  metricsPort?: number;
  store: Store;
  orchestrator: Orchestrator;
  pool: AgentPool;
  goals: GoalRunner;
  /** Tool registry, MCP servers, approvals. */
  tools: ToolLayer;
  /** Answering through a database outage: reachability, last-known configs, the run-log journal and its flusher. */
  outage: OutageMode;
  /** The analysts on their schedules; runNow() is what `npm run analyze` and `/improver analyze` call. */
  analysts: { scheduler: Scheduler; jobs: JobName[] };
  /** Console mode: resolves when the chat ends (/quit, end of input). Server modes: when stopped. */
  finished: Promise<void>;
  /** Graceful stop: no new work, in-flight runs finish or are recorded as interrupted, then close. */
  stop(): Promise<void>;
}

/** Composition root shared by main.ts and the integration tests: picks adapters and wires everything. */
export async function startApp(config: Config, options: StartOptions): Promise<RunningApp> {
  const { logger } = options;
  const opened = options.store ?? (await openStore(config.store));
  // Prometheus metrics (GET /metrics) and, with OTEL_EXPORTER_OTLP_ENDPOINT, traces: both observe runs, model and tool calls.
  const metrics = new AppMetrics((model, tokensIn, tokensOut) => config.model.catalogue.costOf(model, tokensIn, tokensOut));
  const tracing = config.telemetry.tracing ? createTracing(config.telemetry.tracing, logger) : null;
  const observers = tracing ? [metrics, tracing.runs] : [metrics];
  // Through a database outage the fast path answers from last-known agent configs and the run log writes to an
  // on-disk journal, replayed once when the database is back (src/journal, docs/OPERATING-outage.md).
  const outage = new OutageMode(opened, config.journal, logger);
  const store = outage.store; // fails fast while the database is known down
  const runLog = new RunLog(outage.runs, config.model.catalogue, logger, observers);
  const endpoint = config.model.endpoint;
  // Every model call of the app goes through this one metered port (see src/model).
  const models = new Models(options.modelPort ?? (endpoint ? new LangChainModelPort(endpoint) : null), observers);
  // Built-in tools, MCP servers (connecting in the background) and approvals, shared by every specialist.
  const tools = createToolLayer(config.tools, { store, logger });
  const pool = new AgentPool({
    store: { agents: outage.agents },
    logger,
    poolMax: config.agents.poolMax,
    idleTtlMs: config.agents.idleTtlMs,
    maxConcurrentRunsPerAgent: config.agents.maxConcurrentRunsPerAgent,
    maxConcurrentRuns: config.limits.maxConcurrentRuns,
    maxQueuedPerAgent: config.limits.queueMax,
    queueWaitMs: config.limits.queueWaitMs,
    factory: (agentConfig) => new UniversalAgent(agentConfig, {
      models,
      defaultModel: config.model.defaultModel,
      maxRetries: config.model.maxRetries,
      logger,
      tools: { ...tools.agentTools, executor: { ...tools.agentTools.executor, observers } },
    }),
  });
  pool.start();
  metrics.watchPool(() => pool.stats());
  const plannerModel = config.model.plannerModel;
  // Goals: planned by the planner model, run by specialists from the pool; this process's identity owns leases.
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const spawnBudget = new SpawnBudget(config.agents.spawnPerMinute);
  const goalRunner = new GoalRunner({
    store, runLog, agents: pool, logger, owner, defaults: { ...config.goals },
    ...(models.configured ? {
      spawn: (description: string, meter) => spawnSpecialist(description, {
        store, models, plannerModel, meter, budget: spawnBudget, logger, allowedTools: config.tools.spawnAllowlist,
      }),
    } : {}),
  });
  const goalPath = new GoalPath({
    runner: goalRunner, runLog, store: { ...store, agents: outage.agents }, agents: pool, storeDown: () => outage.reach.down, maxTasks: config.goals.maxTasks, goalSeconds: config.goals.maxSeconds, keepAnswers: config.learning.enabled,
    planner: models.configured ? new ModelPlanner({ models, model: plannerModel, maxRetries: config.model.maxRetries }) : null,
  });
  // Admin notices (budget alerts, recurring errors, the digest) go to ADMIN_CHANNEL (Slack) or the console once the surface is up.
  let noticeTarget: ((text: string, blocks?: unknown[]) => Promise<void>) | undefined;
  const notices: AdminNotices & { ask(text: string, experimentId: string): Promise<void> } = {
    post: async (text) => {
      logger.info({ notice: text.slice(0, 500) }, 'admin notice');
      await noticeTarget?.(text).catch((error: unknown) => logger.warn({ err: error }, 'admin notice not delivered'));
    },
    // IMPROVEMENT_APPROVAL=admin: a promotion waits for an admin (buttons in Slack; /improver approve anywhere).
    ask: async (text, experimentId) => {
      logger.info({ notice: text.slice(0, 500), experimentId }, 'improvement waiting for approval');
      const hint = `${text} Or run \`/improver approve ${experimentId.slice(0, 8)}\`.`;
      await noticeTarget?.(hint, config.slack.kind === 'console' ? undefined : approvalBlocks(text, experimentId))
        .catch((error: unknown) => logger.warn({ err: error }, 'approval request not delivered'));
    },
  };
  const learning = config.learning.enabled;
  const arms = learning ? new ExperimentArms(store.experiments) : undefined;
  // How SQL scores runs (outcome, rating, tool errors): the same everywhere, so experiments compare like with like.
  await store.putSetting('score_weights', config.learning.scoreWeights).catch((error: unknown) => logger.warn({ err: error }, 'score weights not saved'));
  // The one place that decides what serves a request (workflow, goal, or which agent version on which model).
  const serving = new ServingDecider({
    router: new Router(outage.agents, models.configured ? new ChatModelRouter({ models, model: plannerModel }) : null, {
      embeddings: models.configured && config.model.embeddingModel ? new EmbeddingMatcher({ models, model: config.model.embeddingModel }) : null,
    }),
    agents: outage.agents,
    threads: outage.threads,
    workflows: new StoreWorkflowMatcher(store.workflows),
    canPlan: models.configured,
    // Live experiments choose their arm here; LEARNING_ENABLED=false serves the current versions only.
    arms: arms ?? NO_EXPERIMENTS,
    policies: [
      // Budgets are controls, not learning: enforced whatever LEARNING_ENABLED says.
      new BudgetPolicy({ budgets: outage.budgets, notices, downgradeModel: config.analysts.downgradeModel, logger }),
      ...(arms ? [new CachePolicy({ cache: store.cache, experiments: store.experiments, arms, logger })] : []),
    ],
  });
  const orchestrator = new Orchestrator(
    {
      runLog, serving, logger, plans: goalPath,
      // Fair shares: per person (rate and concurrency) and per channel (rate); in memory, per process.
      limits: new RequestGate(config.limits),
      // The error knowledge base: a failure the error analyst has seen gets its best known recovery, once.
      ...(config.learning.enabled ? {
        recovery: new KnownRecoveries(store, { fallbackModel: config.analysts.fallbackModel, trimInputChars: Math.floor(config.agents.maxInputChars / 2) }),
      } : {}),
      direct: new DirectAnswer({ runLog, agents: pool, cache: store.cache }, {
        historyTokenBudget: config.agents.historyTokenBudget, maxInputChars: config.agents.maxInputChars, keepAnswers: learning,
      }),
      // Outcomes: a follow-up that rephrases or says "that's wrong" marks the previous answer corrected.
      observers: [new OutcomeTracker({ runs: store.runs, windowSeconds: config.learning.outcomeWindowSeconds, logger })],
    },
    { modelConfigured: models.configured, requestTimeoutMs: config.model.timeoutMs, maxInputChars: config.agents.maxInputChars, learning: learning && models.configured },
  );

  // The improvement loop: proposals → candidates → screening → experiments → promote / reject → watch.
  const loop = arms && models.configured ? new ExperimentLoop({
    store, pool, arms, models, catalogue: config.model.catalogue, notices, logger: logger.child({ component: 'improver' }),
    settings: { ...config.learning, plannerModel },
  }) : undefined;
  const analysts = createAnalysts(config, {
    store, runLog, logger, notices, holder: owner, ...(loop ? { loop } : {}), onRun: (job, outcome, seconds) => metrics.analystRun(job, outcome, seconds),
    // Gaps get a drafted specialist as a candidate (not live): the improvement loop decides whether it serves.
    ...(models.configured ? {
      draft: (need: string, meter) => spawnSpecialist(need, {
        store, models, plannerModel, meter, budget: spawnBudget, logger, allowedTools: config.tools.spawnAllowlist, status: 'candidate', origin: 'analyst',
      }),
    } : {}),
  });

  // Feature modules plug in here: Slack listeners (commands, buttons, App Home) and the shared command set.
  const slackFeatures: SlackFeature[] = [goalActions(goalRunner, runLog)];
  slackFeatures.push(tools.slackFeature);
  // /better, /save-workflow, /workflows, /metrics (Slack and console), feedback buttons, the App Home.
  const commands: CommandDispatcher = createImproverCommands({
    store, logger, runLog, analysts: analysts.scheduler.handle(analysts.jobs), adminUsers: config.admin.users, ...(loop ? { loop } : {}),
  });
  slackFeatures.push(slackCommands(commands), slackFeedback(runLog),
    appHome(loop ? { stop: (id, actor) => loop.stop(id, actor), adminUsers: config.admin.users } : {}));
  if (loop) slackFeatures.push(improverActions(loop, config.admin.users));


  metrics.watchRunsInFlight(() => orchestrator.activeRuns);
  metrics.watchJournal(() => ({ reachable: !outage.reach.down, ...outage.files.backlog() }));
  if (loop) metrics.watchExperiments(async () => (await store.experiments.list('running')).length);
  // GET /metrics: on METRICS_PORT's own server when set, else on the Slack server's port (see serveMetrics).
  const { onMainPort: metricsOnMainPort, server: metricsServer } = await serveMetrics(config.telemetry.metrics, () => metrics.scrape());

  let ready = false;
  let slackApp: SlackApp | undefined;
  let port: number | undefined;
  let stopping: Promise<void> | undefined;
  let resumeTimer: NodeJS.Timeout | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => { resolveFinished = resolve; });

  const stop = () => {
    stopping ??= (async () => {
      ready = false;
      logger.info('stopping: no new work');
      await slackApp?.stop();
      await analysts.scheduler.stop();
      await control?.close();
      await metricsServer?.close();
      if (resumeTimer) clearInterval(resumeTimer);
      const { finished: done, interrupted } = await orchestrator.drain(config.server.shutdownGraceMs);
      const released = await goalRunner.releaseAll();
      logger.info({ finished: done, interrupted, goalsReleased: released }, 'in-flight runs settled');
      await pool.close();
      await tools.close();
      await outage.close(); // a last replay if the database answers; what is left stays on disk for the next start
      await tracing?.shutdown(); // after the drain: interrupted runs' spans are in the last export
      await opened.close(); // the store as opened (or given): its owner's close, not the fail-fast wrapper's
      resolveFinished();
    })();
    return stopping;
  };

  // Records a dead process left in the journal are replayed now; the general specialist is read before its first request.
  await outage.start([FALLBACK_AGENT_ID]);
  // Scheduled analysts start with the surface; a failing analyst is recorded and never touches answering.
  analysts.scheduler.start();
  // Embedded PGlite is this process's alone: `npm run analyze` hands its work here over a loopback endpoint.
  const control = store.control ? await startControlServer({
    analyze: async (body) => {
      const asked = Array.isArray(body.jobs) ? body.jobs.map(String) : [];
      const names = asked.includes('all') ? analysts.jobs : analysts.jobs.filter((j) => asked.includes(j));
      const unknown = asked.filter((j) => j !== 'all' && !(JOB_NAMES as readonly string[]).includes(j));
      return { jobs: analysts.jobs, unknown, outcomes: await analysts.scheduler.runNow(names) };
    },
  }, logger) : undefined;
  if (control) store.control!.publish({ url: control.url, token: control.token });

  if (config.slack.kind === 'console') {
    const io = options.console ?? {
      input: process.stdin, output: process.stdout, status: process.stdout.isTTY ? process.stdout : process.stderr,
      interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    };
    ready = true;
    noticeTarget = async (text) => { io.output.write(`\n[admin] ${text}\n`); };
    void runConsoleChat(orchestrator, store, {
      ...io, modelConfigured: models.configured, storeKind: store.kind, ...(commands ? { commands } : {}), dataDir: config.dataDir,
    })
      .catch((error: unknown) => logger.error({ err: error }, 'console chat failed'))
      .finally(() => { void stop(); });
  } else {
    slackApp = createSlackApp({
      config, orchestrator, store, logger, features: slackFeatures, approvals: tools.approvals,
      // Optional MCP servers only show their state; one marked `required` in MCP_CONFIG also decides 200/503.
      // The database down while answers still flow (journal accepting) is "degraded", still 200 for a load balancer.
      health: {
        ready: () => ready,
        checks: {
          // Degraded also until the flusher's probe has seen the database back and replayed the journal: "ok" means
          // new runs go to the database and every run is in it.
          store: async () => {
            if (await store.ping()) return outage.reach.down || outage.files.backlog().records > 0 ? 'degraded' : true;
            outage.reach.markDown(storeUnavailable('the database did not answer the health check'));
            return outage.health().state === 'degraded' ? 'degraded' : false;
          },
          ...tools.health.checks,
        },
        details: () => ({ ...tools.health.details?.(), outage: outage.health() }),
      },
      threads: outage.threads,
      ...(metricsOnMainPort ? { metrics: metricsOnMainPort } : {}),
      ...(options.slackClientOptions ? { clientOptions: options.slackClientOptions } : {}),
    });
    port = (await slackApp.start()).port;
    ready = true;
    const adminChannel = config.admin.channel;
    if (adminChannel) noticeTarget = (text, blocks) => slackApp!.post(adminChannel, text, blocks);
    // Goals whose process died (or was stopped) are resumed from their finished tasks, here or elsewhere.
    const app = slackApp;
    const resume = () => goalPath.resumeStale(owner, (goal) => (goal.channelId && goal.threadTs
      ? app.surfaceForThread({ channel: goal.channelId, threadTs: goal.threadTs, userId: goal.userId ?? '', teamId: goal.workspaceId })
      : null), logger).catch((error: unknown) => logger.warn({ err: error }, 'goal resume sweep failed'));
    void resume();
    resumeTimer = setInterval(() => void resume(), 30_000);
    resumeTimer.unref();
  }
  return { mode: config.slack.kind, ...(port !== undefined ? { port } : {}), ...(metricsServer ? { metricsPort: metricsServer.port } : {}), store, orchestrator, pool, goals: goalRunner, tools, outage, analysts, finished, stop };
}
