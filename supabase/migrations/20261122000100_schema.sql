-- Schema for the self-improving Slack assistant.
--
-- Every statement is idempotent (if not exists / or replace) so the file can be applied by the app's own
-- migrator on PGlite and Postgres, and by `supabase db push` on Supabase, in either order.
-- RLS is enabled on every table and no policy is created: these are server-only tables, read and written
-- by the service role (which bypasses RLS) or by the app's own connection (the table owner).
--
-- Glossary
--   workspace_id  Slack team id ("T…"), or 'console' for the terminal chat.
--   run           one handled request: a direct answer, a goal, a workflow replay or a command.
--   step          one unit of work inside a run: a model call, a tool call, a plan, a synthesis.
--   agent         a specialist defined by rows of agent_configs; agent_id is stable, version grows.
--   lineage       typed relations between agents and workflows (inherits, enhances, replaces, ...).

-- gen_random_uuid() is built into PostgreSQL 13+ (no pgcrypto needed, which PGlite lacks).

-- ---------------------------------------------------------------------------------------------------
-- Agent configurations: one row per version. Exactly one version per agent is 'current'.
create table if not exists agent_configs (
  id            uuid primary key default gen_random_uuid(),
  agent_id      text not null,
  version       integer not null check (version >= 1),
  status        text not null default 'current' check (status in ('current', 'candidate', 'archived')),
  specialty     text not null,
  description   text not null,
  system_prompt text not null,
  model         text,                       -- null: the configured default model
  temperature   numeric(3,2) not null default 0.3 check (temperature >= 0 and temperature <= 2),
  max_tokens    integer check (max_tokens is null or max_tokens > 0),
  tools         text[] not null default '{}',
  origin        text not null default 'seed' check (origin in ('seed', 'user', 'spawned', 'analyst', 'experiment')),
  notes         text,
  created_at    timestamptz not null default now(),
  unique (agent_id, version)
);
create unique index if not exists agent_configs_one_current on agent_configs (agent_id) where status = 'current';
create index if not exists agent_configs_search on agent_configs
  using gin (to_tsvector('english', specialty || ' ' || description)) where status = 'current';

-- Lineage between agents and workflows. depends_on cycles are refused by lineage_add().
create table if not exists lineage (
  id          bigint generated always as identity primary key,
  child_kind  text not null check (child_kind in ('agent', 'workflow')),
  child_id    text not null,
  relation    text not null check (relation in ('inherits', 'enhances', 'replaces', 'composes', 'depends_on', 'triggers')),
  parent_kind text not null check (parent_kind in ('agent', 'workflow')),
  parent_id   text not null,
  reason      text,
  created_at  timestamptz not null default now(),
  unique (child_kind, child_id, relation, parent_kind, parent_id)
);
create index if not exists lineage_parent on lineage (parent_kind, parent_id);

-- ---------------------------------------------------------------------------------------------------
-- Run log. The two partial unique keys make a retried or doubly delivered Slack event one run.
create table if not exists runs (
  id               uuid primary key default gen_random_uuid(),
  workspace_id     text not null,
  surface          text not null check (surface in ('slack', 'console', 'scheduler', 'test')),
  event_id         text,
  channel_id       text,
  message_ts       text,
  thread_ts        text,
  user_id          text,
  request_text     text not null default '',
  kind             text not null default 'message' check (kind in ('message', 'command', 'goal', 'workflow', 'analyst')),
  route            text,          -- direct | router | goal | workflow | command | cache
  route_reason     text,
  agent_ids        text[] not null default '{}',
  workflow_id      uuid,
  experiment_id    uuid,
  experiment_arm   text,
  status           text not null default 'running'
                   check (status in ('running', 'succeeded', 'failed', 'cancelled', 'interrupted', 'refused')),
  error_class      text,
  error_message    text,
  tokens_in        integer not null default 0,
  tokens_out       integer not null default 0,
  cost_usd         numeric(14,6) not null default 0,   -- sum of steps whose cost is known
  cost_unknown_steps integer not null default 0,       -- steps on a model missing from the catalogue
  latency_ms       integer,
  attempt          integer not null default 1,
  lease_expires_at timestamptz,    -- a delivery owns the run until then; a later retry may take over
  answer_ts        text,
  delivered        boolean not null default false,
  started_at       timestamptz not null default now(),
  finished_at      timestamptz
);
create unique index if not exists runs_event_key on runs (workspace_id, event_id) where event_id is not null;
create unique index if not exists runs_message_key on runs (workspace_id, channel_id, message_ts) where message_ts is not null;
create index if not exists runs_started on runs (started_at);
create index if not exists runs_user_thread on runs (workspace_id, channel_id, user_id, started_at desc);

create table if not exists run_steps (
  id           bigint generated always as identity primary key,
  run_id       uuid not null references runs(id) on delete cascade,
  seq          integer not null,
  kind         text not null check (kind in ('model', 'tool', 'router', 'plan', 'synthesis', 'approval', 'recovery', 'note')),
  name         text,              -- tool name, task id, ...
  agent_id     text,
  agent_version integer,
  model        text,
  tokens_in    integer not null default 0,
  tokens_out   integer not null default 0,
  cost_usd     numeric(14,6),     -- null: the model is not in the catalogue (cost unknown, never 0)
  latency_ms   integer,
  status       text not null check (status in ('ok', 'error', 'timeout', 'refused', 'denied', 'cancelled')),
  error_class  text,
  detail       jsonb not null default '{}',
  created_at   timestamptz not null default now(),
  unique (run_id, seq)
);

-- ---------------------------------------------------------------------------------------------------
-- Goals and their task graphs.
create table if not exists goals (
  id            uuid primary key default gen_random_uuid(),
  run_id        uuid not null references runs(id) on delete cascade,
  workspace_id  text not null,
  channel_id    text,
  thread_ts     text,
  user_id       text,
  request_text  text not null,
  plan          jsonb,
  status        text not null default 'planning'
                check (status in ('planning', 'running', 'succeeded', 'partial', 'failed', 'cancelled', 'interrupted', 'stopped')),
  stop_reason   text,
  budget        jsonb not null default '{}',
  usage         jsonb not null default '{}',
  progress_ts   text,
  final_answer  text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);
create index if not exists goals_status on goals (status);

create table if not exists tasks (
  goal_id       uuid not null references goals(id) on delete cascade,
  task_id       text not null,
  title         text not null,
  instructions  text not null,
  specialty     text not null,
  depends_on    text[] not null default '{}',
  level         text not null default 'operational' check (level in ('strategic', 'tactical', 'operational')),
  done_when     text,
  agent_id      text,
  status        text not null default 'pending'
                check (status in ('pending', 'running', 'succeeded', 'failed', 'blocked', 'cancelled', 'skipped')),
  result        text,
  error_class   text,
  attempts      integer not null default 0,
  tokens_in     integer not null default 0,
  tokens_out    integer not null default 0,
  cost_usd      numeric(14,6),
  started_at    timestamptz,
  finished_at   timestamptz,
  primary key (goal_id, task_id)
);

-- ---------------------------------------------------------------------------------------------------
-- Feedback from /better, buttons and modals. dedupe_key stops repeated clicks counting twice.
create table if not exists feedback (
  id           uuid primary key default gen_random_uuid(),
  run_id       uuid not null references runs(id) on delete cascade,
  workspace_id text not null,
  user_id      text not null,
  rating       smallint check (rating between 1 and 5),
  text         text,
  category     text,
  source       text not null check (source in ('command', 'button', 'modal', 'console')),
  dedupe_key   text,
  created_at   timestamptz not null default now()
);
create unique index if not exists feedback_dedupe on feedback (dedupe_key) where dedupe_key is not null;
create index if not exists feedback_run on feedback (run_id);

-- ---------------------------------------------------------------------------------------------------
-- Workflows: saved by users (/save-workflow) or induced by the workflow analyst.
create table if not exists workflows (
  id            uuid primary key default gen_random_uuid(),
  workspace_id  text not null,
  name          text not null check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  description   text,
  kind          text not null check (kind in ('saved', 'induced')),
  status        text not null default 'active' check (status in ('active', 'candidate', 'archived')),
  graph         jsonb not null,
  triggers      text[] not null default '{}',
  source_run_id uuid references runs(id) on delete set null,
  created_by    text,
  version       integer not null default 1,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  unique (workspace_id, name)
);

-- Recurring request patterns found by the workflow analyst.
create table if not exists patterns (
  id            uuid primary key default gen_random_uuid(),
  workspace_id  text not null,
  signature     text not null,
  example       text not null,
  occurrences   integer not null default 0,
  successes     integer not null default 0,
  avg_rating    numeric(3,2),
  strength      text check (strength in ('weak', 'moderate', 'strong', 'very_strong')),
  workflow_id   uuid references workflows(id) on delete set null,
  first_seen    timestamptz not null default now(),
  last_seen     timestamptz not null default now(),
  unique (workspace_id, signature)
);

-- Error knowledge: recurring error signatures and the recovery that works for them.
create table if not exists error_knowledge (
  signature          text primary key,     -- class + normalised message + agent + model
  error_class        text not null,
  message_pattern    text not null,
  agent_id           text,
  model              text,
  occurrences        integer not null default 0,
  recovery           text check (recovery in ('retry_later', 'trim_context', 'fallback_model', 'split_task', 'ask_rephrase')),
  recovery_attempts  integer not null default 0,
  recovery_successes integer not null default 0,
  escalated_at       timestamptz,
  first_seen         timestamptz not null default now(),
  last_seen          timestamptz not null default now()
);

-- ---------------------------------------------------------------------------------------------------
-- Improvement loop: every proposed change is an enhancement; some are tried as experiments.
create table if not exists enhancements (
  id              uuid primary key default gen_random_uuid(),
  source          text not null check (source in ('self', 'peer', 'user', 'analytics', 'error', 'emergent')),
  target_kind     text not null check (target_kind in ('agent', 'workflow', 'routing')),
  target_id       text,
  category        text,
  change          jsonb not null default '{}',
  expected_impact text,
  status          text not null default 'proposed'
                  check (status in ('proposed', 'testing', 'applied', 'rejected', 'rolled_back')),
  measured_impact jsonb,
  reasons         text,
  source_run_id   uuid references runs(id) on delete set null,
  created_at      timestamptz not null default now(),
  decided_at      timestamptz
);
create index if not exists enhancements_target on enhancements (target_kind, target_id, status);

create table if not exists experiments (
  id                uuid primary key default gen_random_uuid(),
  enhancement_id    uuid references enhancements(id) on delete cascade,
  target_kind       text not null,
  target_id         text not null,
  control_version   integer,
  candidate_version integer,
  share             numeric(4,3) not null default 0.2 check (share > 0 and share < 1),
  status            text not null default 'running' check (status in ('running', 'promoted', 'rejected', 'rolled_back', 'stopped')),
  decision          jsonb,
  started_at        timestamptz not null default now(),
  ended_at          timestamptz
);
create unique index if not exists experiments_one_per_target on experiments (target_kind, target_id) where status = 'running';

create table if not exists experiment_assignments (
  experiment_id uuid not null references experiments(id) on delete cascade,
  unit_key      text not null,          -- sticky unit: workspace:channel:thread
  arm           text not null check (arm in ('control', 'candidate')),
  primary key (experiment_id, unit_key)
);

-- ---------------------------------------------------------------------------------------------------
-- Budgets and the alerts they raised (once per threshold per period).
create table if not exists budgets (
  id         uuid primary key default gen_random_uuid(),
  scope      text not null check (scope in ('global', 'user', 'agent', 'workspace')),
  scope_id   text not null default '*',
  period     text not null check (period in ('daily', 'monthly')),
  limit_usd  numeric(12,4) not null check (limit_usd > 0),
  action     text not null default 'warn' check (action in ('warn', 'refuse', 'downgrade')),
  created_at timestamptz not null default now(),
  unique (scope, scope_id, period)
);

create table if not exists budget_alerts (
  budget_id    uuid not null references budgets(id) on delete cascade,
  period_start date not null,
  threshold    integer not null check (threshold in (80, 100)),
  spent_usd    numeric(14,6) not null,
  created_at   timestamptz not null default now(),
  primary key (budget_id, period_start, threshold)
);

-- ---------------------------------------------------------------------------------------------------
-- Operations: processed Slack events (non-run idempotency), scheduler leases, analyst watermarks.
create table if not exists processed_events (
  workspace_id text not null,
  event_key    text not null,
  run_id       uuid,
  created_at   timestamptz not null default now(),
  primary key (workspace_id, event_key)
);

create table if not exists job_leases (
  job         text primary key,
  holder      text not null,
  generation  bigint not null default 1,
  expires_at  timestamptz not null,
  updated_at  timestamptz not null default now()
);

create table if not exists analyst_watermarks (
  analyst      text primary key,
  last_started_at timestamptz not null default '-infinity',
  last_run_id  uuid,
  updated_at   timestamptz not null default now()
);

create table if not exists analyst_runs (
  id           bigint generated always as identity primary key,
  job          text not null,
  holder       text not null,
  generation   bigint not null,
  started_at   timestamptz not null default now(),
  finished_at  timestamptz,
  rows_read    integer,
  proposals    integer,
  error        text
);

-- ---------------------------------------------------------------------------------------------------
-- Row level security: enabled everywhere, no policies (server-only tables).
alter table agent_configs          enable row level security;
alter table lineage                enable row level security;
alter table runs                   enable row level security;
alter table run_steps              enable row level security;
alter table goals                  enable row level security;
alter table tasks                  enable row level security;
alter table feedback               enable row level security;
alter table workflows              enable row level security;
alter table patterns               enable row level security;
alter table error_knowledge        enable row level security;
alter table enhancements           enable row level security;
alter table experiments            enable row level security;
alter table experiment_assignments enable row level security;
alter table budgets                enable row level security;
alter table budget_alerts          enable row level security;
alter table processed_events       enable row level security;
alter table job_leases             enable row level security;
alter table analyst_watermarks     enable row level security;
alter table analyst_runs           enable row level security;
