-- Goals: ownership lease (so a goal whose process died can be resumed elsewhere), cancel requests, and
-- per-workspace budget overrides.

alter table goals add column if not exists owner text;
alter table goals add column if not exists lease_expires_at timestamptz;
alter table goals add column if not exists cancel_requested_at timestamptz;
alter table goals add column if not exists cancelled_by text;
create index if not exists goals_resumable on goals (lease_expires_at) where status in ('planning', 'running');
create index if not exists goals_run on goals (run_id);

-- Per-workspace overrides of the goal budget defaults (keys: maxAgents, maxTokens, maxCostUsd, maxSeconds, maxTasks).
create table if not exists workspace_settings (
  workspace_id text primary key,
  goal_budget  jsonb not null default '{}',
  updated_at   timestamptz not null default now()
);
alter table workspace_settings enable row level security;

-- A goal with its tasks, or null.
create or replace function goal_get(p_goal_id uuid) returns jsonb
language sql stable as $$
  select to_jsonb(g) || jsonb_build_object('tasks', coalesce(
    (select jsonb_agg(to_jsonb(t) order by t.task_id) from tasks t where t.goal_id = g.id), '[]'::jsonb))
  from goals g where g.id = p_goal_id
$$;

-- Creates a goal with its tasks (all pending), owned by p_owner for p_lease_seconds.
create or replace function goal_create(
  p_run_id uuid, p_workspace_id text, p_request_text text, p_plan jsonb, p_budget jsonb, p_owner text,
  p_channel_id text default null, p_thread_ts text default null, p_user_id text default null,
  p_lease_seconds integer default 60
) returns jsonb
language plpgsql as $$
declare g goals;
begin
  insert into goals (run_id, workspace_id, channel_id, thread_ts, user_id, request_text, plan, status, budget, owner, lease_expires_at)
  values (p_run_id, p_workspace_id, p_channel_id, p_thread_ts, p_user_id, p_request_text, p_plan, 'running', coalesce(p_budget, '{}'),
          p_owner, now() + make_interval(secs => p_lease_seconds))
  returning * into g;
  insert into tasks (goal_id, task_id, title, instructions, specialty, depends_on, level, done_when)
  select g.id, t->>'id', t->>'title', t->>'instructions', t->>'specialty',
         coalesce(array(select jsonb_array_elements_text(t->'depends_on')), '{}'), coalesce(t->>'level', 'operational'), t->>'done_when'
    from jsonb_array_elements(p_plan->'tasks') t;
  return goal_get(g.id);
end $$;

-- Updates a goal and renews its lease. Only the current owner may write: a stale owner (its lease expired and
-- another instance took the goal over) gets null and must stop.
create or replace function goal_update(
  p_goal_id uuid, p_owner text, p_status text default null, p_stop_reason text default null, p_usage jsonb default null,
  p_progress_ts text default null, p_final_answer text default null, p_lease_seconds integer default 60
) returns jsonb
language plpgsql as $$
declare g goals;
begin
  update goals set
    status = coalesce(p_status, status),
    stop_reason = coalesce(p_stop_reason, stop_reason),
    usage = coalesce(p_usage, usage),
    progress_ts = coalesce(p_progress_ts, progress_ts),
    final_answer = coalesce(p_final_answer, final_answer),
    lease_expires_at = case when coalesce(p_status, status) in ('planning', 'running')
                            then now() + make_interval(secs => p_lease_seconds) else null end,
    updated_at = now()
  where id = p_goal_id and owner = p_owner
  returning * into g;
  if not found then return null; end if;
  return jsonb_build_object('id', g.id, 'status', g.status, 'cancel_requested', g.cancel_requested_at is not null);
end $$;

create or replace function task_update(
  p_goal_id uuid, p_task_id text, p_owner text, p_status text, p_agent_id text default null, p_result text default null,
  p_error_class text default null, p_tokens_in integer default null, p_tokens_out integer default null,
  p_cost_usd numeric default null, p_attempts integer default null
) returns jsonb
language plpgsql as $$
declare t tasks;
begin
  if not exists (select 1 from goals where id = p_goal_id and owner = p_owner) then return null; end if;
  update tasks set
    status = p_status,
    agent_id = coalesce(p_agent_id, agent_id),
    result = coalesce(p_result, result),
    error_class = coalesce(p_error_class, error_class),
    tokens_in = coalesce(p_tokens_in, tokens_in),
    tokens_out = coalesce(p_tokens_out, tokens_out),
    cost_usd = coalesce(p_cost_usd, cost_usd),
    attempts = coalesce(p_attempts, attempts),
    started_at = case when p_status = 'running' then coalesce(started_at, now()) else started_at end,
    finished_at = case when p_status in ('succeeded', 'failed', 'blocked', 'cancelled', 'skipped') then now() else finished_at end
  where goal_id = p_goal_id and task_id = p_task_id
  returning * into t;
  return to_jsonb(t);
end $$;

-- Records a cancel request (from any instance: the owner sees it on its next write). Only the goal's requester.
create or replace function goal_request_cancel(p_goal_id uuid, p_user_id text) returns jsonb
language plpgsql as $$
declare g goals;
begin
  update goals set cancel_requested_at = coalesce(cancel_requested_at, now()), cancelled_by = coalesce(cancelled_by, p_user_id)
   where id = p_goal_id and (user_id is null or user_id = p_user_id) and status in ('planning', 'running')
  returning * into g;
  if not found then
    return jsonb_build_object('ok', false, 'status', (select status from goals where id = p_goal_id),
                              'owner_user', (select user_id from goals where id = p_goal_id));
  end if;
  return jsonb_build_object('ok', true, 'status', g.status);
end $$;

-- Takes over goals whose owner's lease expired (the process died or was stopped mid-goal).
create or replace function goal_claim_stale(p_owner text, p_lease_seconds integer default 60, p_limit integer default 10) returns jsonb
language plpgsql as $$
declare ids uuid[];
begin
  with stale as (
    select id from goals
     where status in ('planning', 'running') and (lease_expires_at is null or lease_expires_at < now())
     order by created_at limit p_limit for update skip locked
  ), claimed as (
    update goals g set owner = p_owner, lease_expires_at = now() + make_interval(secs => p_lease_seconds), updated_at = now()
      from stale where g.id = stale.id
    returning g.id
  )
  select array_agg(id) into ids from claimed;
  -- A second statement sees the update, so the returned goals carry their new owner.
  return coalesce((select jsonb_agg(goal_get(x)) from unnest(ids) x), '[]'::jsonb);
end $$;

-- Releases a goal at shutdown so another process (or this one after a restart) resumes it at once.
create or replace function goal_release(p_goal_id uuid, p_owner text) returns jsonb
language sql as $$
  update goals set lease_expires_at = now() - interval '1 second', updated_at = now()
   where id = p_goal_id and owner = p_owner and status in ('planning', 'running')
  returning jsonb_build_object('id', id, 'released', true)
$$;

-- A goal runs longer than a direct answer: its run keeps the delivery lease, so a late Slack retry does not
-- take it over while it is still being worked on.
create or replace function run_renew_lease(p_run_id uuid, p_lease_seconds integer) returns jsonb
language sql as $$
  update runs set lease_expires_at = now() + make_interval(secs => p_lease_seconds)
   where id = p_run_id and status = 'running'
  returning jsonb_build_object('id', id, 'lease_expires_at', lease_expires_at)
$$;

create or replace function workspace_goal_budget(p_workspace_id text) returns jsonb
language sql stable as $$
  select coalesce((select goal_budget from workspace_settings where workspace_id = p_workspace_id), '{}'::jsonb)
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 3) $$;

select app_restrict_functions(array['goal_create', 'goal_update', 'task_update', 'goal_get', 'goal_request_cancel',
  'goal_claim_stale', 'goal_release', 'workspace_goal_budget', 'run_renew_lease', 'app_schema_version']);
