import cron from 'node-cron';
import { z } from 'zod';

/**
 * Every environment variable the app reads, with what it should look like and an example.
 * This list is the single source for validation messages, `.env.example` and the README table
 * (a test checks both documents name every variable here).
 */
export interface VariableSpec {
  name: string;
  group: 'Slack' | 'Model' | 'Storage' | 'Server' | 'Operations' | 'Agents' | 'Limits' | 'Goals' | 'Tools' | 'Learning' | 'Analysts' | 'Admin';
  /** What the value should look like, shown when it is wrong. */
  shape: string;
  example: string;
  description: string;
  secret?: boolean;
  schema: z.ZodType;
}

const optionalString = z.string().trim().min(1).optional();
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const positiveNumber = z.coerce.number().positive();
const url = z.string().trim().url();
/** A cron expression node-cron accepts, or off. */
const schedule = z.string().trim().refine((v) => v.toLowerCase() === 'off' || cron.validate(v), 'must be a cron expression (e.g. "*/15 * * * *") or off')
  .transform((v) => (v.toLowerCase() === 'off' ? null : v));
/** true/false (also 1/0, yes/no, on/off), case-insensitive. */
const booleanFlag = z.string().trim().toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
/** OTLP headers: `key=value` pairs separated by commas, values percent-encoded (the OpenTelemetry format). */
const otlpHeaders = z.string().trim()
  .refine((v) => v.split(',').every((pair) => /^[^=\s]+=.+$/.test(pair.trim())), 'must be key=value pairs separated by commas')
  .refine((v) => v.split(',').every((pair) => { try { decodeURIComponent(pair); return true; } catch { return false; } }), 'has a badly percent-encoded value')
  .transform((v) => Object.fromEntries(v.split(',').map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at).trim(), decodeURIComponent(pair.slice(at + 1).trim())];
  })))
  .optional();

export const VARIABLES = [
  // Slack
  { name: 'SLACK_BOT_TOKEN', group: 'Slack', shape: 'a bot token starting with xoxb-', example: 'xoxb-0000-0000-xxxx',
    description: 'Bot token. With SLACK_SIGNING_SECRET: HTTP mode. With SLACK_APP_TOKEN: Socket Mode.', secret: true,
    schema: z.string().trim().regex(/^xoxb-/, 'must start with xoxb-').optional() },
  { name: 'SLACK_SIGNING_SECRET', group: 'Slack', shape: 'the app\'s signing secret (hex)', example: '8f14e45fceea167a5a36dedd4bea2543',
    description: 'Verifies that HTTP requests come from Slack (HTTP mode).', secret: true, schema: optionalString },
  { name: 'SLACK_APP_TOKEN', group: 'Slack', shape: 'an app-level token starting with xapp-', example: 'xapp-1-A000-0000-xxxx',
    description: 'Present: Socket Mode (needs SLACK_BOT_TOKEN too).', secret: true,
    schema: z.string().trim().regex(/^xapp-/, 'must start with xapp-').optional() },
  { name: 'SLACK_API_URL', group: 'Slack', shape: 'an http(s) URL ending with /api/', example: 'https://slack.com/api/',
    description: 'Slack Web API base (GovSlack, or a local stand-in in tests).',
    schema: url.default('https://slack.com/api/') },
  { name: 'SLACK_STREAMING', group: 'Slack', shape: 'auto or off', example: 'auto',
    description: 'auto: stream answers with chat.startStream where the workspace supports it, else post then update. off: always post then update.',
    schema: z.enum(['auto', 'off']).default('auto') },
  // Model
  { name: 'OPENAI_API_KEY', group: 'Model', shape: 'an API key', example: 'sk-...',
    description: 'Key for the OpenAI-compatible endpoint. Without it (and without OPENAI_BASE_URL) the bot serves only commands that need no model.',
    secret: true, schema: optionalString },
  { name: 'OPENAI_BASE_URL', group: 'Model', shape: 'an http(s) URL of an OpenAI-compatible API', example: 'http://localhost:11434/v1',
    description: 'Any endpoint that speaks /v1/chat/completions: OpenAI, Azure OpenAI, Ollama, LM Studio, vLLM.',
    schema: url.optional() },
  { name: 'DEFAULT_MODEL', group: 'Model', shape: 'a model name', example: 'gpt-4.1-mini',
    description: 'Model for specialists whose config names none.', schema: z.string().trim().min(1).default('gpt-4.1-mini') },
  { name: 'PLANNER_MODEL', group: 'Model', shape: 'a model name', example: 'gpt-4.1',
    description: 'Stronger model for routing ambiguous requests, planning goals and drafting specialists.',
    schema: z.string().trim().min(1).default('gpt-4.1') },
  { name: 'EMBEDDING_MODEL', group: 'Model', shape: 'an embedding model name, or empty for none', example: 'text-embedding-3-small',
    description: 'Optional: embeddings for routing and similarity. Empty: lexical matching only.', schema: optionalString },
  { name: 'MODEL_PRICES', group: 'Model', shape: 'JSON {"model": {"input": USD per 1M tokens, "output": USD per 1M tokens}}',
    example: '{"llama3.1:8b":{"input":0,"output":0}}',
    description: 'Adds to or overrides the built-in price catalogue. Models missing from it have unknown cost (never 0).',
    schema: z.string().trim().optional() },
  { name: 'MODEL_TIMEOUT_MS', group: 'Model', shape: 'milliseconds, 1000-600000', example: '60000',
    description: 'Deadline for one request\'s model work, retries included.', schema: integer(1000, 600_000).default(60_000) },
  { name: 'MODEL_MAX_RETRIES', group: 'Model', shape: 'an integer 0-10', example: '3',
    description: 'Retries of transient model errors (429 rate limit, 5xx, timeouts) within the deadline.',
    schema: integer(0, 10).default(3) },
  // Storage
  { name: 'DATABASE_URL', group: 'Storage', shape: 'a postgres:// connection string', example: 'postgres://app:secret@localhost:5432/app',
    description: 'Use a Postgres server (self-hosted, or Supabase\'s direct connection) instead of embedded PGlite.', secret: true,
    schema: z.string().trim().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional() },
  { name: 'SUPABASE_URL', group: 'Storage', shape: 'your project URL', example: 'https://abcd1234.supabase.co',
    description: 'With SUPABASE_SERVICE_ROLE_KEY: store through supabase-js (apply migrations with `supabase db push`).',
    schema: url.optional() },
  { name: 'SUPABASE_SERVICE_ROLE_KEY', group: 'Storage', shape: 'the service role key (server side only)', example: 'eyJhbGciOi...',
    description: 'Service role key for SUPABASE_URL. Never expose it to clients.', secret: true, schema: optionalString },
  { name: 'DATA_DIR', group: 'Storage', shape: 'a directory path', example: './.data',
    description: 'Where embedded PGlite keeps its database when no DATABASE_URL or Supabase is set. The console also keeps its log (logs/improver.log) and /metrics charts (charts/) here, whatever the store.',
    schema: z.string().trim().min(1).default('./.data') },
  { name: 'JOURNAL_MAX_MB', group: 'Storage', shape: 'megabytes, 1-100000', example: '256',
    description: 'While the database is unreachable, questions are still answered and their run-log writes go to an on-disk journal under DATA_DIR/journal (fsync\'d, replayed once when the database is back). Past this size the oldest journal segments are dropped (logged with how many records and runs): answering never stops for it, the oldest runs are lost to the run log. See docs/OPERATING-outage.md.',
    schema: z.coerce.number().min(1).max(100_000).default(256) },
  { name: 'JOURNAL_MAX_AGE_HOURS', group: 'Storage', shape: 'hours, > 0 (at most 720)', example: '24',
    description: 'Journal records older than this are dropped (logged with how many), so a very long outage keeps its latest runs. Also how long delivery ids are remembered in memory to answer each Slack event once while the database dedupe is unavailable.',
    schema: positiveNumber.max(720).default(24) },
  // Server
  { name: 'PORT', group: 'Server', shape: 'a TCP port 1-65535 (0: any free port)', example: '3000',
    description: 'HTTP port: /slack/events in HTTP mode, /health in every server mode.', schema: integer(0, 65535).default(3000) },
  { name: 'LOG_LEVEL', group: 'Server', shape: 'one of fatal, error, warn, info, debug, trace, silent', example: 'info',
    description: 'Log level (pino).',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') },
  { name: 'LOG_FORMAT', group: 'Server', shape: 'json or pretty', example: 'json',
    description: 'json: one JSON line per event, for log collectors. pretty: readable lines (pino-pretty), for people. Server modes log to stdout; the console writes JSON to DATA_DIR/logs/improver.log, or pretty lines to stderr (held back while an answer is printed).',
    schema: z.enum(['json', 'pretty']).default('json') },
  { name: 'SHUTDOWN_GRACE_MS', group: 'Server', shape: 'milliseconds, 0-60000', example: '8000',
    description: 'On SIGTERM/SIGINT, how long in-flight runs may finish before they are recorded as interrupted.',
    schema: integer(0, 60_000).default(8000) },
  // Operations
  { name: 'METRICS_TOKEN', group: 'Operations', shape: 'a random string of at least 16 characters', example: 'b7e1c9f04a2d4e6f8a1b3c5d7e9f0a2b',
    description: 'Set: GET /metrics requires `Authorization: Bearer <token>` (401 otherwise). Unset: /metrics on PORT answers only loopback clients.',
    secret: true, schema: z.string().trim().min(16, 'must be at least 16 characters').optional() },
  { name: 'METRICS_PORT', group: 'Operations', shape: 'a TCP port 1-65535 other than PORT (0: any free port)', example: '9464',
    description: 'Serve /metrics on this port instead of PORT, to any client (still behind METRICS_TOKEN when set). Also works in console mode.',
    schema: integer(0, 65535).optional() },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', group: 'Operations', shape: 'an http(s) base URL of an OTLP/HTTP receiver (/v1/traces is added)', example: 'http://localhost:4318',
    description: 'Set: every run is traced (OpenTelemetry, GenAI conventions) and sent there as OTLP/JSON: Jaeger, Tempo, Honeycomb, Langfuse, a collector.',
    schema: url.regex(/^https?:\/\//i, 'must start with http:// or https://').optional() },
  { name: 'OTEL_EXPORTER_OTLP_HEADERS', group: 'Operations', shape: 'comma-separated key=value pairs, values percent-encoded', example: 'x-honeycomb-team=YOUR_KEY',
    description: 'Headers sent with every trace export, usually the backend\'s API key (Langfuse: Authorization=Basic%20 then the base64 of public-key:secret-key).',
    secret: true, schema: otlpHeaders },
  { name: 'OTEL_SERVICE_NAME', group: 'Operations', shape: 'a service name', example: 'slack-assistant',
    description: 'service.name of the traces.', schema: z.string().trim().min(1).default('slack-assistant') },
  // Agents
  { name: 'AGENT_POOL_MAX', group: 'Agents', shape: 'an integer 1-10000', example: '50',
    description: 'Most specialists kept live at once (least recently used are disposed).', schema: integer(1, 10_000).default(50) },
  { name: 'AGENT_IDLE_TTL_HOURS', group: 'Agents', shape: 'hours, > 0', example: '24',
    description: 'A live specialist unused this long is disposed.', schema: positiveNumber.default(24) },
  { name: 'SPAWN_PER_MINUTE', group: 'Agents', shape: 'an integer 0-1000', example: '5',
    description: 'Most new specialists drafted per minute (spawn budget).', schema: integer(0, 1000).default(5) },
  { name: 'HISTORY_TOKEN_BUDGET', group: 'Agents', shape: 'tokens, 0-200000', example: '4000',
    description: 'Thread history kept as context (newest first; older messages are trimmed with a notice).',
    schema: integer(0, 200_000).default(4000) },
  { name: 'MAX_INPUT_CHARS', group: 'Agents', shape: 'characters, 100-200000', example: '12000',
    description: 'Longer messages are cut to this size with a notice.', schema: integer(100, 200_000).default(12_000) },
  // Limits: load waits in line instead of being refused; one person or channel cannot starve the rest.
  { name: 'MAX_CONCURRENT_RUNS', group: 'Limits', shape: 'an integer 1-10000', example: '64',
    description: 'Most specialist runs at once in this process, all specialists and goal tasks together (model-serving slots); more wait in line.',
    schema: integer(1, 10_000).default(64) },
  { name: 'AGENT_MAX_CONCURRENT_RUNS', group: 'Limits', shape: 'an integer 1-1000', example: '32',
    description: 'Most requests one specialist serves at once (all its versions together); more wait in line, so one busy specialist cannot take every slot of MAX_CONCURRENT_RUNS.',
    schema: integer(1, 1000).default(32) },
  { name: 'AGENT_QUEUE_MAX', group: 'Limits', shape: 'an integer 0-100000', example: '500',
    description: 'Most requests waiting in line for one specialist (and, separately, for the overall slots); one more is refused with a message that says when to retry.',
    schema: integer(0, 100_000).default(500) },
  { name: 'QUEUE_MAX_WAIT_SECONDS', group: 'Limits', shape: 'seconds, 1-3600', example: '60',
    description: 'How long a request may wait in line (for its specialist and an overall slot together, or behind the same person\'s requests) before it is refused with a message that says when to retry.',
    schema: integer(1, 3600).default(60) },
  { name: 'USER_RATE_PER_MINUTE', group: 'Limits', shape: 'an integer 0-10000 (0: no limit)', example: '20',
    description: 'Most requests one person may send in any minute. The excess gets one message saying when new ones are taken again, then no reply until then (each is recorded as a refused run, RATE_LIMITED). Commands are exempt.',
    schema: integer(0, 10_000).default(20) },
  { name: 'USER_MAX_CONCURRENT', group: 'Limits', shape: 'an integer 1-1000', example: '3',
    description: 'Requests of one person answered at the same time; further ones wait in line behind them (up to QUEUE_MAX_WAIT_SECONDS).',
    schema: integer(1, 1000).default(3) },
  { name: 'CHANNEL_RATE_PER_MINUTE', group: 'Limits', shape: 'an integer 0-100000 (0: no limit)', example: '60',
    description: 'Most requests one channel (or DM) may send in any minute, everyone in it together; the excess is handled as for USER_RATE_PER_MINUTE.',
    schema: integer(0, 100_000).default(60) },
  // Goals
  { name: 'GOAL_MAX_TASKS', group: 'Goals', shape: 'an integer 1-50', example: '8',
    description: 'Most tasks in one goal\'s plan; a larger plan is sent back to the planner once for repair.',
    schema: integer(1, 50).default(8) },
  { name: 'GOAL_MAX_AGENTS', group: 'Goals', shape: 'an integer 1-50', example: '6',
    description: 'Most distinct specialists one goal may use.', schema: integer(1, 50).default(6) },
  { name: 'GOAL_MAX_TOKENS', group: 'Goals', shape: 'tokens, 1000-10000000', example: '200000',
    description: 'Token budget of one goal (all its tasks); reaching it stops the goal cleanly.', schema: integer(1000, 10_000_000).default(200_000) },
  { name: 'GOAL_MAX_COST_USD', group: 'Goals', shape: 'USD, > 0', example: '1.00',
    description: 'Cost budget of one goal; reaching it stops the goal cleanly.', schema: positiveNumber.default(1) },
  { name: 'GOAL_MAX_SECONDS', group: 'Goals', shape: 'seconds, 1-3600', example: '300',
    description: 'Wall-time limit of one goal; running tasks are stopped and finished results kept.', schema: integer(1, 3600).default(300) },
  { name: 'GOAL_CONCURRENCY', group: 'Goals', shape: 'an integer 1-20', example: '3',
    description: 'Most tasks of one goal running at the same time.', schema: integer(1, 20).default(3) },
  // Tools
  { name: 'MCP_CONFIG', group: 'Tools', shape: 'a path to a JSON file {"mcpServers": {...}}', example: './mcp.json',
    description: 'MCP servers whose tools specialists may be granted (stdio command or streamable HTTP URL; see the README). Empty: none.',
    schema: optionalString },
  { name: 'MCP_CONNECT_TIMEOUT_MS', group: 'Tools', shape: 'milliseconds, 500-120000', example: '10000',
    description: 'How long an MCP server may take to start and list its tools before it is marked down (and retried later).',
    schema: integer(500, 120_000).default(10_000) },
  { name: 'MCP_RETRY_SECONDS', group: 'Tools', shape: 'seconds, 1-3600', example: '30',
    description: 'First wait before reconnecting an MCP server that is down; doubles on each failure, up to 10 minutes.',
    schema: integer(1, 3600).default(30) },
  { name: 'TOOL_MAX_ROUNDS', group: 'Tools', shape: 'an integer 0-20', example: '4',
    description: 'Most rounds of tool calls in one answer; past it the specialist answers with what it has and says so. 0: tools are not offered.',
    schema: integer(0, 20).default(4) },
  { name: 'TOOL_TIMEOUT_MS', group: 'Tools', shape: 'milliseconds, 100-300000', example: '15000',
    description: 'Time limit of one tool call; a slower call gives the model a timeout error to work with.',
    schema: integer(100, 300_000).default(15_000) },
  { name: 'TOOL_RESULT_MAX_CHARS', group: 'Tools', shape: 'characters, 200-200000', example: '8000',
    description: 'Longer tool results are cut to this size, with a note to the model.', schema: integer(200, 200_000).default(8000) },
  { name: 'APPROVAL_TIMEOUT_SECONDS', group: 'Tools', shape: 'seconds, 1-3600', example: '120',
    description: 'How long a side-effecting tool call waits for the requesting user to approve it; then it is not run.',
    schema: integer(1, 3600).default(120) },
  { name: 'SLACK_READ_MAX_MESSAGES', group: 'Tools', shape: 'an integer 1-1000', example: '200',
    description: 'Most messages the Slack reading tools return for one call (channel history or thread).',
    schema: integer(1, 1000).default(200) },
  { name: 'SLACK_READ_MAX_DAYS', group: 'Tools', shape: 'days, 1-365', example: '7',
    description: 'How far back slack_read_channel may read.', schema: integer(1, 365).default(7) },
  { name: 'HTTP_FETCH_ALLOWLIST', group: 'Tools', shape: 'comma-separated host names (subdomains included), or empty', example: 'docs.example.com,status.example.com',
    description: 'Hosts http_fetch may read. Empty (the default): http_fetch is off even for specialists that list it.',
    schema: optionalString },
  { name: 'HTTP_FETCH_MAX_BYTES', group: 'Tools', shape: 'bytes, 1000-20000000', example: '1000000',
    description: 'Largest response http_fetch reads; the rest is cut off.', schema: integer(1000, 20_000_000).default(1_000_000) },
  { name: 'SPAWN_TOOL_ALLOWLIST', group: 'Tools', shape: 'comma-separated tool names or server__* grants, or empty', example: 'calculator,current_time',
    description: 'Tools a newly drafted specialist may be granted; any others it asks for are dropped (and the reason noted).',
    schema: optionalString },
  // Learning
  { name: 'OUTCOME_WINDOW_SECONDS', group: 'Learning', shape: 'seconds, 10-86400', example: '600',
    description: 'How long after an answer a rephrase or "that\'s wrong" from the same user in the thread marks it corrected; after it, an answer nobody corrected is accepted.',
    schema: integer(10, 86_400).default(600) },
  { name: 'IMPROVER_SCHEDULE', group: 'Learning', shape: 'a cron expression, or off', example: '*/5 * * * *',
    description: 'When the improvement loop runs: settle outcomes, turn proposals into candidates, screen them, start, decide and watch experiments.',
    schema: schedule.default('*/5 * * * *') },
  { name: 'EXPERIMENT_TRAFFIC_SHARE', group: 'Learning', shape: 'a share 0.01-0.99', example: '0.2',
    description: 'Share of the matching conversations (threads) a candidate serves during its experiment.', schema: z.coerce.number().min(0.01).max(0.99).default(0.2) },
  { name: 'EXPERIMENT_MAX_TRAFFIC', group: 'Learning', shape: 'a share 0.01-1', example: '0.5',
    description: 'No new experiment starts while candidates served more than this share of the last hour\'s requests.',
    schema: z.coerce.number().min(0.01).max(1).default(0.5) },
  { name: 'EXPERIMENT_MIN_SAMPLES', group: 'Learning', shape: 'an integer 2-100000', example: '100',
    description: 'Settled runs each arm needs before an experiment may be decided (the sequential test stays valid however often it looks).',
    schema: integer(2, 100_000).default(100) },
  { name: 'EXPERIMENT_MAX_SAMPLES', group: 'Learning', shape: 'an integer 20-10000000', example: '4000',
    description: 'Settled runs (both arms together) after which an experiment with no clear answer is stopped and the current version kept, so a change that makes no measurable difference does not hold its agent\'s turn for other proposals forever. Raised to twice EXPERIMENT_MIN_SAMPLES when lower.',
    schema: integer(20, 10_000_000).default(4000) },
  { name: 'EXPERIMENT_MARGIN', group: 'Learning', shape: 'a share 0-0.5', example: '0.05',
    description: 'Largest drop in success rate a candidate may show and still count as not worse (non-inferiority margin).',
    schema: z.coerce.number().min(0).max(0.5).default(0.05) },
  { name: 'IMPROVEMENT_APPROVAL', group: 'Learning', shape: 'auto or admin', example: 'auto',
    description: 'auto: a candidate that wins its experiment is promoted. admin: an admin approves it first (buttons in ADMIN_CHANNEL, or /improver approve).',
    schema: z.enum(['auto', 'admin']).default('auto') },
  { name: 'SCREEN_SAMPLES', group: 'Learning', shape: 'an integer 0-100', example: '8',
    description: 'Logged requests replayed through a candidate (nobody sees the answers) and judged against the current answers before any live traffic. 0: no screening.',
    schema: integer(0, 100).default(8) },
  { name: 'SCORE_WEIGHTS', group: 'Learning', shape: 'three weights: outcome,rating,tool errors', example: '0.6,0.3,0.1',
    description: 'How a run\'s score combines its outcome (accepted 1, corrected or failed 0), its rating and the share of its tool calls that worked.',
    schema: z.string().trim().regex(/^\d*\.?\d+,\d*\.?\d+,\d*\.?\d+$/, 'must be three numbers like 0.6,0.3,0.1').default('0.6,0.3,0.1')
      .transform((v) => { const [outcome, rating, tools] = v.split(',').map(Number); return { outcome: outcome!, rating: rating!, tools: tools! }; }) },
  { name: 'CACHE_TTL_SECONDS', group: 'Learning', shape: 'seconds, 60-2592000', example: '86400',
    description: 'How long an accepted answer may answer the same question again (where the response cache has been shown to work for that specialist).',
    schema: integer(60, 2_592_000).default(86_400) },
  { name: 'LEARNING_ENABLED', group: 'Learning', shape: 'true or false', example: 'true',
    description: 'false: the static baseline. No analyst but the cost analyst runs, no known recovery is tried, no experiment arm is served; every request gets the current versions.',
    schema: booleanFlag.default(true) },
  // Analysts
  { name: 'ANALYST_ERRORS_SCHEDULE', group: 'Analysts', shape: 'a cron expression, or off', example: '*/15 * * * *',
    description: 'When the error analyst reads new failures into the error knowledge base.', schema: schedule.default('*/15 * * * *') },
  { name: 'ANALYST_COST_SCHEDULE', group: 'Analysts', shape: 'a cron expression, or off', example: '5 * * * *',
    description: 'When the cost analyst totals spend, raises budget alerts and proposes cheaper models. Runs even with LEARNING_ENABLED=false (budgets are controls).',
    schema: schedule.default('5 * * * *') },
  { name: 'ANALYST_WORKFLOWS_SCHEDULE', group: 'Analysts', shape: 'a cron expression, or off', example: '20 */6 * * *',
    description: 'When the workflow analyst groups recurring requests into patterns, induces workflows from recurring goals and drafts specialists for gaps.',
    schema: schedule.default('20 */6 * * *') },
  { name: 'ANALYST_AGENTS_SCHEDULE', group: 'Analysts', shape: 'a cron expression, or off', example: '40 */2 * * *',
    description: 'When the agent performance analyst compares each specialist version with its peers and files proposals for weak ones.',
    schema: schedule.default('40 */2 * * *') },
  { name: 'ANALYST_ANOMALIES_SCHEDULE', group: 'Analysts', shape: 'a cron expression, or off', example: '*/10 * * * *',
    description: 'When the last hour is compared with the trailing week (error rate, p95 latency, cost per run, corrections); one alert per episode.',
    schema: schedule.default('*/10 * * * *') },
  { name: 'DIGEST_SCHEDULE', group: 'Analysts', shape: 'a cron expression, or off', example: '0 9 * * *',
    description: 'When the daily digest is posted to ADMIN_CHANNEL.', schema: schedule.default('0 9 * * *') },
  { name: 'ANALYST_TIMEZONE', group: 'Analysts', shape: 'an IANA time zone', example: 'Europe/Berlin',
    description: 'Time zone of the schedules above.', schema: z.string().trim().min(1).default('UTC') },
  { name: 'ANALYST_MAX_COST_USD', group: 'Analysts', shape: 'USD, > 0', example: '0.25',
    description: 'Most one analyst run may spend on model calls (naming patterns, drafting specialists); its calls stop there.',
    schema: positiveNumber.default(0.25) },
  { name: 'ERROR_ESCALATE_AFTER', group: 'Analysts', shape: 'an integer 1-100000', example: '5',
    description: 'Occurrences after which a recurring error with no working recovery is raised to ADMIN_CHANNEL (once).',
    schema: integer(1, 100_000).default(5) },
  { name: 'RECOVERY_FALLBACK_MODEL', group: 'Analysts', shape: 'a model name', example: 'gpt-4.1',
    description: 'Model a known "fallback model" recovery retries on. Default: PLANNER_MODEL.', schema: optionalString },
  { name: 'PATTERN_THRESHOLDS', group: 'Analysts', shape: 'four increasing integers: weak,moderate,strong,very strong', example: '3,5,8,15',
    description: 'Occurrences that make a recurring request a weak, moderate, strong or very strong pattern (strong ones also need PATTERN_MIN_SUCCESS).',
    schema: z.string().trim().regex(/^\d+,\d+,\d+,\d+$/, 'must be four integers like 3,5,8,15').default('3,5,8,15')
      .transform((v) => v.split(',').map(Number)).refine((t) => t.every((x, i) => i === 0 || x > t[i - 1]!), 'must increase') },
  { name: 'PATTERN_MIN_SUCCESS', group: 'Analysts', shape: 'a share 0-1', example: '0.7',
    description: 'Success rate a pattern needs to be strong, and a recurring goal to become an induced workflow.',
    schema: z.coerce.number().min(0).max(1).default(0.7) },
  { name: 'ANOMALY_FACTOR', group: 'Analysts', shape: 'a number > 1', example: '2',
    description: 'A metric of the last hour this many times its trailing-week value (and past a small floor) opens an anomaly episode.',
    schema: z.coerce.number().gt(1).default(2) },
  { name: 'BUDGET_DOWNGRADE_MODEL', group: 'Analysts', shape: 'a model name', example: 'gpt-4.1-nano',
    description: 'The cheaper model a budget with action downgrade answers on once it is used up.', schema: z.string().trim().min(1).default('gpt-4.1-nano') },
  // Admin
  { name: 'ADMIN_CHANNEL', group: 'Admin', shape: 'a Slack channel id (C…)', example: 'C0123456789',
    description: 'Where budget alerts, recurring errors, anomalies and the daily digest are posted (invite the bot). Empty: logged only (and shown in the console).',
    schema: z.string().trim().regex(/^[CGD][A-Z0-9]{6,}$/, 'must be a channel id like C0123456789').optional() },
  { name: 'ADMIN_USERS', group: 'Admin', shape: 'comma-separated Slack user ids', example: 'U0123456789,U0987654321',
    description: 'Who may run /improver analyze and /improver budget, besides the workspace\'s owners and admins.', schema: optionalString },
] as const satisfies readonly VariableSpec[];

export type VariableName = (typeof VARIABLES)[number]['name'];
