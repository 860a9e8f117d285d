import { join } from 'node:path';
import { z } from 'zod';
import { toolSettingsFrom, type ToolSettings } from './tool-settings.js';
import { ModelCatalogue, modelPricesSchema, type ModelPrice } from './models.js';
import { VARIABLES, type VariableSpec } from './variables.js';

/** Limits of one goal. Defaults come from configuration; a workspace may override any of them. */
export interface GoalBudget {
  maxTasks: number;
  maxAgents: number;
  maxTokens: number;
  maxCostUsd: number;
  maxSeconds: number;
  concurrency: number;
}

export type SlackMode =
  | { kind: 'http'; botToken: string; signingSecret: string }
  | { kind: 'socket'; botToken: string; appToken: string; signingSecret?: string }
  | { kind: 'console' };

export type StoreChoice =
  | { kind: 'supabase'; url: string; serviceRoleKey: string }
  | { kind: 'postgres'; connectionString: string }
  | { kind: 'pglite'; dataDir: string };

export interface Config {
  slack: SlackMode & { apiUrl: string; streaming: 'auto' | 'off' };
  store: StoreChoice;
  model: {
    /** Null when neither OPENAI_API_KEY nor OPENAI_BASE_URL is set: commands still work, answers do not. */
    endpoint: { apiKey: string; baseUrl?: string } | null;
    defaultModel: string;
    plannerModel: string;
    embeddingModel?: string;
    catalogue: ModelCatalogue;
    timeoutMs: number;
    maxRetries: number;
  };
  server: { port: number; logLevel: string; logFormat: 'json' | 'pretty'; shutdownGraceMs: number };
  /** Prometheus metrics and OpenTelemetry traces. */
  telemetry: {
    /** token: bearer token /metrics requires; port: a separate port for /metrics. */
    metrics: { token?: string; port?: number };
    /** Null: no tracing (OTEL_EXPORTER_OTLP_ENDPOINT unset). tracesUrl is the endpoint with /v1/traces. */
    tracing: { tracesUrl: string; headers: Record<string, string>; serviceName: string } | null;
  };
  /** DATA_DIR: the embedded database (PGlite store), and the console's log file and charts with any store. */
  dataDir: string;
  /** The run log's outage journal (src/journal): DATA_DIR/journal, JOURNAL_MAX_MB, JOURNAL_MAX_AGE_HOURS. */
  journal: { dir: string; maxBytes: number; maxAgeMs: number };
  agents: {
    poolMax: number;
    idleTtlMs: number;
    spawnPerMinute: number;
    maxConcurrentRunsPerAgent: number;
    historyTokenBudget: number;
    maxInputChars: number;
  };
  /** Waiting in line and fair shares (see src/limits): per process, in memory. */
  limits: {
    /** Specialist runs at once across all specialists (MAX_CONCURRENT_RUNS). */
    maxConcurrentRuns: number;
    /** Requests waiting for one specialist, and for the overall slots (AGENT_QUEUE_MAX). */
    queueMax: number;
    /** Longest wait in line before a refusal (QUEUE_MAX_WAIT_SECONDS). */
    queueWaitMs: number;
    /** Requests per person per minute; 0: no limit. */
    userRatePerMinute: number;
    userMaxConcurrent: number;
    /** Requests per channel per minute; 0: no limit. */
    channelRatePerMinute: number;
  };
  goals: GoalBudget;
  /** Tool calling, built-in tools, MCP servers, approvals. */
  tools: ToolSettings;
  learning: {
    enabled: boolean; outcomeWindowSeconds: number; improverSchedule: string | null; trafficShare: number; maxTraffic: number; minSamples: number; maxSamples: number;
    margin: number; approval: 'auto' | 'admin'; screenSamples: number; scoreWeights: { outcome: number; rating: number; tools: number }; cacheTtlSeconds: number;
  };
  analysts: {
    /** A cron expression per job; null: off. */
    schedules: Record<'errors' | 'cost' | 'workflows' | 'agents' | 'anomalies' | 'digest' | 'improver', string | null>;
    timezone: string;
    maxCostUsd: number;
    escalateAfter: number;
    fallbackModel: string;
    downgradeModel: string;
    patternThresholds: number[];
    patternMinSuccess: number;
    anomalyFactor: number;
  };
  admin: { channel?: string; users: string[] };
  /** Values never to be printed (tokens, keys, passwords); the logger redacts them. */
  secrets: string[];
}

export interface ConfigProblem {
  variable: string;
  problem: string;
  shape?: string;
  example?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = 'ConfigError';
  }
}

/** A message naming each bad variable, what it should look like and an example. Never prints values. */
export function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const hint = p.shape ? `\n    expected: ${p.shape}${p.example ? `, e.g. ${p.variable}=${p.example}` : ''}` : '';
    return `  - ${p.variable}: ${p.problem}${hint}`;
  });
  return `Configuration is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}\n` +
    'Fix the environment (or .env) and start again. Every variable is described in .env.example.';
}

type Env = Record<string, string | undefined>;

/** Reads the environment once into a typed Config, or throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const spec of VARIABLES as readonly VariableSpec[]) {
    // An empty value means "not set": .env files often carry `NAME=` lines.
    const raw = env[spec.name]?.trim() === '' ? undefined : env[spec.name];
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) values[spec.name] = parsed.data;
    else problems.push({ variable: spec.name, problem: describeIssue(parsed.error, raw), shape: spec.shape, example: spec.example });
  }
  const get = <T>(name: string) => values[name] as T;

  // Cross-variable checks only for variables whose own value was valid, so each gets one message.
  const invalid = new Set(problems.map((p) => p.variable));
  const slack = invalid.has('SLACK_BOT_TOKEN') || invalid.has('SLACK_APP_TOKEN') ? undefined : detectSlackMode(get, problems);
  const store = detectStore(get, problems);
  const prices = parsePrices(get<string | undefined>('MODEL_PRICES'), problems);
  const tools = invalid.has('MCP_CONFIG') ? undefined : toolSettingsFrom(get, env, problems);
  const metricsPort = get<number | undefined>('METRICS_PORT');
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === get<number>('PORT')) {
    const spec = VARIABLES.find((v) => v.name === 'METRICS_PORT')!;
    problems.push({ variable: 'METRICS_PORT', problem: 'is the same as PORT (leave it unset to serve /metrics on PORT)', shape: spec.shape, example: spec.example });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const apiKey = get<string | undefined>('OPENAI_API_KEY');
  const baseUrl = get<string | undefined>('OPENAI_BASE_URL');
  const secrets = VARIABLES.filter((v) => 'secret' in v && v.secret)
    .map((v) => get<string | undefined>(v.name))
    .filter((v): v is string => typeof v === 'string' && v.length >= 6)
    .concat(tools!.secrets)
    .concat(Object.values(get<Record<string, string> | undefined>('OTEL_EXPORTER_OTLP_HEADERS') ?? {}).filter((v) => v.length >= 6));
  const otlpEndpoint = get<string | undefined>('OTEL_EXPORTER_OTLP_ENDPOINT');
  return {
    slack: { ...slack!, apiUrl: get('SLACK_API_URL'), streaming: get('SLACK_STREAMING') },
    store: store!,
    model: {
      // Local servers (Ollama, LM Studio, vLLM) accept any key; the OpenAI client insists on one.
      endpoint: apiKey || baseUrl ? { apiKey: apiKey ?? 'not-needed', ...(baseUrl ? { baseUrl } : {}) } : null,
      defaultModel: get('DEFAULT_MODEL'),
      plannerModel: get('PLANNER_MODEL'),
      ...(get<string | undefined>('EMBEDDING_MODEL') ? { embeddingModel: get<string>('EMBEDDING_MODEL') } : {}),
      catalogue: new ModelCatalogue(prices),
      timeoutMs: get('MODEL_TIMEOUT_MS'),
      maxRetries: get('MODEL_MAX_RETRIES'),
    },
    server: { port: get('PORT'), logLevel: get('LOG_LEVEL'), logFormat: get('LOG_FORMAT'), shutdownGraceMs: get('SHUTDOWN_GRACE_MS') },
    telemetry: {
      metrics: {
        ...(get<string | undefined>('METRICS_TOKEN') ? { token: get<string>('METRICS_TOKEN') } : {}),
        ...(metricsPort !== undefined ? { port: metricsPort } : {}),
      },
      // The signal path is added as the OpenTelemetry spec says for OTEL_EXPORTER_OTLP_ENDPOINT over HTTP.
      tracing: otlpEndpoint ? {
        tracesUrl: `${otlpEndpoint.replace(/\/+$/, '')}/v1/traces`,
        headers: get<Record<string, string> | undefined>('OTEL_EXPORTER_OTLP_HEADERS') ?? {},
        serviceName: get('OTEL_SERVICE_NAME'),
      } : null,
    },
    dataDir: get('DATA_DIR'),
    journal: {
      dir: join(get<string>('DATA_DIR'), 'journal'),
      maxBytes: Math.round(get<number>('JOURNAL_MAX_MB') * 1024 * 1024),
      maxAgeMs: Math.round(get<number>('JOURNAL_MAX_AGE_HOURS') * 3_600_000),
    },
    agents: {
      poolMax: get('AGENT_POOL_MAX'),
      idleTtlMs: Math.round(get<number>('AGENT_IDLE_TTL_HOURS') * 3_600_000),
      spawnPerMinute: get('SPAWN_PER_MINUTE'),
      maxConcurrentRunsPerAgent: get('AGENT_MAX_CONCURRENT_RUNS'),
      historyTokenBudget: get('HISTORY_TOKEN_BUDGET'),
      maxInputChars: get('MAX_INPUT_CHARS'),
    },
    limits: {
      maxConcurrentRuns: get('MAX_CONCURRENT_RUNS'),
      queueMax: get('AGENT_QUEUE_MAX'),
      queueWaitMs: get<number>('QUEUE_MAX_WAIT_SECONDS') * 1000,
      userRatePerMinute: get('USER_RATE_PER_MINUTE'),
      userMaxConcurrent: get('USER_MAX_CONCURRENT'),
      channelRatePerMinute: get('CHANNEL_RATE_PER_MINUTE'),
    },
    goals: {
      maxTasks: get('GOAL_MAX_TASKS'),
      maxAgents: get('GOAL_MAX_AGENTS'),
      maxTokens: get('GOAL_MAX_TOKENS'),
      maxCostUsd: get('GOAL_MAX_COST_USD'),
      maxSeconds: get('GOAL_MAX_SECONDS'),
      concurrency: get('GOAL_CONCURRENCY'),
    },
    tools: tools!.settings,
    learning: {
      enabled: get('LEARNING_ENABLED'), outcomeWindowSeconds: get('OUTCOME_WINDOW_SECONDS'), improverSchedule: get('IMPROVER_SCHEDULE'),
      trafficShare: get('EXPERIMENT_TRAFFIC_SHARE'), maxTraffic: get('EXPERIMENT_MAX_TRAFFIC'), minSamples: get('EXPERIMENT_MIN_SAMPLES'), maxSamples: get('EXPERIMENT_MAX_SAMPLES'),
      margin: get('EXPERIMENT_MARGIN'), approval: get('IMPROVEMENT_APPROVAL'), screenSamples: get('SCREEN_SAMPLES'), scoreWeights: get('SCORE_WEIGHTS'),
      cacheTtlSeconds: get('CACHE_TTL_SECONDS'),
    },
    analysts: {
      schedules: {
        errors: get('ANALYST_ERRORS_SCHEDULE'), cost: get('ANALYST_COST_SCHEDULE'), workflows: get('ANALYST_WORKFLOWS_SCHEDULE'),
        agents: get('ANALYST_AGENTS_SCHEDULE'), anomalies: get('ANALYST_ANOMALIES_SCHEDULE'), digest: get('DIGEST_SCHEDULE'),
        improver: get('IMPROVER_SCHEDULE'),
      },
      timezone: get('ANALYST_TIMEZONE'),
      maxCostUsd: get('ANALYST_MAX_COST_USD'),
      escalateAfter: get('ERROR_ESCALATE_AFTER'),
      fallbackModel: get<string | undefined>('RECOVERY_FALLBACK_MODEL') ?? get('PLANNER_MODEL'),
      downgradeModel: get('BUDGET_DOWNGRADE_MODEL'),
      patternThresholds: get('PATTERN_THRESHOLDS'),
      patternMinSuccess: get('PATTERN_MIN_SUCCESS'),
      anomalyFactor: get('ANOMALY_FACTOR'),
    },
    admin: {
      ...(get<string | undefined>('ADMIN_CHANNEL') ? { channel: get<string>('ADMIN_CHANNEL') } : {}),
      users: (get<string | undefined>('ADMIN_USERS') ?? '').split(',').map((u) => u.trim()).filter(Boolean),
    },
    secrets,
  };
}

function describeIssue(error: z.ZodError, raw: string | undefined): string {
  const issue = error.issues[0];
  if (!issue) return 'is not valid';
  if (raw === undefined) return 'is required';
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'is not a number';
  return issue.message;
}

function detectSlackMode(get: <T>(n: string) => T, problems: ConfigProblem[]): SlackMode | undefined {
  const botToken = get<string | undefined>('SLACK_BOT_TOKEN');
  const signingSecret = get<string | undefined>('SLACK_SIGNING_SECRET');
  const appToken = get<string | undefined>('SLACK_APP_TOKEN');
  if (appToken) {
    if (!botToken) {
      problems.push({ variable: 'SLACK_BOT_TOKEN', problem: 'is required with SLACK_APP_TOKEN (Socket Mode needs both)',
        shape: 'a bot token starting with xoxb-', example: 'xoxb-0000-0000-xxxx' });
      return undefined;
    }
    return { kind: 'socket', botToken, appToken, ...(signingSecret ? { signingSecret } : {}) };
  }
  if (botToken && signingSecret) return { kind: 'http', botToken, signingSecret };
  if (botToken || signingSecret) {
    const missing = botToken ? 'SLACK_SIGNING_SECRET' : 'SLACK_BOT_TOKEN';
    const other = botToken ? 'SLACK_BOT_TOKEN' : 'SLACK_SIGNING_SECRET';
    problems.push({ variable: missing, problem: `is required with ${other} (HTTP mode needs both; Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; console mode needs none)`,
      shape: VARIABLES.find((v) => v.name === missing)!.shape, example: VARIABLES.find((v) => v.name === missing)!.example });
    return undefined;
  }
  return { kind: 'console' };
}

function detectStore(get: <T>(n: string) => T, problems: ConfigProblem[]): StoreChoice | undefined {
  const url = get<string | undefined>('SUPABASE_URL');
  const key = get<string | undefined>('SUPABASE_SERVICE_ROLE_KEY');
  const databaseUrl = get<string | undefined>('DATABASE_URL');
  if (url && key) return { kind: 'supabase', url, serviceRoleKey: key };
  if (url || key) {
    const missing = url ? 'SUPABASE_SERVICE_ROLE_KEY' : 'SUPABASE_URL';
    const spec = VARIABLES.find((v) => v.name === missing)!;
    problems.push({ variable: missing, problem: `is required with ${url ? 'SUPABASE_URL' : 'SUPABASE_SERVICE_ROLE_KEY'}`,
      shape: spec.shape, example: spec.example });
    return undefined;
  }
  if (databaseUrl) return { kind: 'postgres', connectionString: databaseUrl };
  return { kind: 'pglite', dataDir: get('DATA_DIR') };
}

function parsePrices(raw: string | undefined, problems: ConfigProblem[]): Record<string, ModelPrice> {
  if (!raw) return {};
  const spec = VARIABLES.find((v) => v.name === 'MODEL_PRICES')!;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    problems.push({ variable: 'MODEL_PRICES', problem: 'is not valid JSON', shape: spec.shape, example: spec.example });
    return {};
  }
  const parsed = modelPricesSchema.safeParse(json);
  if (!parsed.success) {
    problems.push({ variable: 'MODEL_PRICES', problem: `has a bad entry (${parsed.error.issues[0]?.path.join('.') ?? '?'})`,
      shape: spec.shape, example: spec.example });
    return {};
  }
  return parsed.data;
}
