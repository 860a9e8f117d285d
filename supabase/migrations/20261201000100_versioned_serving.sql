-- Ready the core for learning: agents and workflows served by version side by side, promoted and rolled
-- back atomically with a record of who did it and why; the serving decision and every model on the run;
-- error classes as a closed set of codes; a start-up check that names missing functions (Supabase).
--
-- Released migrations never change: everything here is new, and idempotent like every migration.

-- ---------------------------------------------------------------------------------------------------
-- Run log: what served a run.
alter table runs add column if not exists agent_versions   jsonb not null default '[]';  -- [{"agent_id": "...", "version": n}]
alter table runs add column if not exists workflow_version integer;
alter table runs add column if not exists models           text[] not null default '{}';
alter table runs add column if not exists serving          jsonb;                        -- the serving decision as made

-- Model calls of every kind are steps: embeddings, judges (screening), analysts.
alter table run_steps drop constraint if exists run_steps_kind_check;
alter table run_steps add constraint run_steps_kind_check
  check (kind in ('model', 'tool', 'router', 'plan', 'synthesis', 'approval', 'recovery', 'note', 'embedding', 'judge', 'analyst'));

-- error_class holds an error code (src/errors.ts), never free text, so knowledge can be keyed on it. NOT VALID:
-- rows written before this release are not rechecked.
alter table runs drop constraint if exists runs_error_class_code;
alter table runs add constraint runs_error_class_code check (error_class is null or error_class ~ '^[A-Z][A-Z0-9_]*$') not valid;
alter table run_steps drop constraint if exists run_steps_error_class_code;
alter table run_steps add constraint run_steps_error_class_code check (error_class is null or error_class ~ '^[A-Z][A-Z0-9_]*$') not valid;

create index if not exists runs_agent_versions on runs using gin (agent_versions jsonb_path_ops);
create index if not exists runs_experiment on runs (experiment_id, experiment_arm) where experiment_id is not null;

-- Records the serving decision on the run as soon as it is made, before anything runs: a failed run still
-- says which agent version, workflow version, model and experiment arm it was given.
create or replace function run_record_serving(
  p_run_id uuid,
  p_route text,
  p_route_reason text default null,
  p_agent jsonb default null,              -- {"agent_id": "...", "version": n}
  p_workflow_id uuid default null,
  p_workflow_version integer default null,
  p_experiment_id uuid default null,
  p_experiment_arm text default null,
  p_serving jsonb default null
) returns jsonb
language plpgsql as $$
declare r runs;
begin
  update runs set
    route = p_route,
    route_reason = left(p_route_reason, 500),
    kind = case when p_route in ('goal', 'workflow') and kind = 'message' then p_route else kind end,
    agent_ids = case when p_agent is null then agent_ids else array[p_agent->>'agent_id'] end,
    agent_versions = case when p_agent is null or (p_agent->>'version') is null then agent_versions
                          else jsonb_build_array(jsonb_build_object('agent_id', p_agent->>'agent_id', 'version', (p_agent->>'version')::integer)) end,
    workflow_id = coalesce(p_workflow_id, workflow_id),
    workflow_version = coalesce(p_workflow_version, workflow_version),
    experiment_id = p_experiment_id,
    experiment_arm = p_experiment_arm,
    serving = p_serving
  where id = p_run_id
  returning * into r;
  if not found then
    raise exception 'run_record_serving: no run %', p_run_id using errcode = 'P0002';
  end if;
  return jsonb_build_object('id', r.id, 'route', r.route, 'kind', r.kind);
end $$;

-- Same arguments as before (callers are unchanged); it now also derives from the steps every agent version
-- and every model that served the run.
create or replace function run_finish(
  p_run_id uuid,
  p_status text,
  p_route text default null,
  p_route_reason text default null,
  p_agent_ids jsonb default null,
  p_error_class text default null,
  p_error_message text default null,
  p_latency_ms integer default null,
  p_answer_ts text default null,
  p_delivered boolean default null,
  p_workflow_id uuid default null
) returns jsonb
language plpgsql as $$
declare
  r runs;
begin
  update runs u set
    status         = p_status,
    route          = coalesce(p_route, u.route),
    route_reason   = coalesce(p_route_reason, u.route_reason),
    agent_ids      = coalesce(array(select jsonb_array_elements_text(p_agent_ids)), u.agent_ids),
    error_class    = p_error_class,
    error_message  = left(p_error_message, 2000),
    latency_ms     = coalesce(p_latency_ms, (extract(epoch from (now() - u.started_at)) * 1000)::integer),
    answer_ts      = coalesce(p_answer_ts, u.answer_ts),
    delivered      = coalesce(p_delivered, u.delivered),
    workflow_id    = coalesce(p_workflow_id, u.workflow_id),
    finished_at    = now(),
    lease_expires_at = null,
    tokens_in      = t.tokens_in,
    tokens_out     = t.tokens_out,
    cost_usd       = t.cost_usd,
    cost_unknown_steps = t.unknown,
    models         = t.models,
    agent_versions = (
      select coalesce(jsonb_agg(jsonb_build_object('agent_id', a.agent_id, 'version', a.version) order by a.agent_id, a.version), '[]'::jsonb)
        from (select distinct agent_id, agent_version as version from run_steps
               where run_id = p_run_id and agent_id is not null and agent_version is not null
              union
              select e->>'agent_id', (e->>'version')::integer from jsonb_array_elements(u.agent_versions) e) a)
  from (
    select coalesce(sum(tokens_in), 0)::integer as tokens_in,
           coalesce(sum(tokens_out), 0)::integer as tokens_out,
           coalesce(sum(cost_usd), 0) as cost_usd,
           (count(*) filter (where model is not null and cost_usd is null))::integer as unknown,
           coalesce(array_agg(distinct model) filter (where model is not null), '{}') as models
      from run_steps where run_id = p_run_id
  ) t
  where u.id = p_run_id
  returning u.* into r;
  if not found then
    raise exception 'run_finish: no run %', p_run_id using errcode = 'P0002';
  end if;
  return to_jsonb(r);
end $$;

-- ---------------------------------------------------------------------------------------------------
-- Configuration changes: every promotion, rollback and rejection of an agent or workflow version, with who or
-- what did it (a user id, 'improver', an admin) and why.
create table if not exists config_changes (
  id           bigint generated always as identity primary key,
  target_kind  text not null check (target_kind in ('agent', 'workflow')),
  target_id    text not null,
  action       text not null check (action in ('promote', 'rollback', 'reject', 'activate', 'archive')),
  from_version integer,
  to_version   integer,
  actor        text not null,
  reason       text,
  created_at   timestamptz not null default now()
);
create index if not exists config_changes_target on config_changes (target_kind, target_id, created_at desc);
alter table config_changes enable row level security;

-- Makes a candidate version current; the previous current version is archived. Atomic per agent.
create or replace function agent_promote(p_agent_id text, p_version integer, p_actor text, p_reason text default null) returns jsonb
language plpgsql as $$
declare
  v_from integer;
  a agent_configs;
begin
  perform pg_advisory_xact_lock(hashtext('agent:' || p_agent_id));
  select * into a from agent_configs where agent_id = p_agent_id and version = p_version;
  if not found then return jsonb_build_object('ok', false, 'reason', 'no_such_version'); end if;
  if a.status <> 'candidate' then return jsonb_build_object('ok', false, 'reason', 'not_candidate', 'status', a.status); end if;
  select version into v_from from agent_configs where agent_id = p_agent_id and status = 'current';
  update agent_configs set status = 'archived' where agent_id = p_agent_id and status = 'current';
  update agent_configs set status = 'current' where agent_id = p_agent_id and version = p_version returning * into a;
  insert into config_changes (target_kind, target_id, action, from_version, to_version, actor, reason)
  values ('agent', p_agent_id, 'promote', v_from, p_version, p_actor, p_reason);
  return jsonb_build_object('ok', true, 'from_version', v_from, 'agent', to_jsonb(a));
end $$;

-- Makes a named earlier version current again (any version that is not current); the current one is archived.
create or replace function agent_rollback(p_agent_id text, p_version integer, p_actor text, p_reason text default null) returns jsonb
language plpgsql as $$
declare
  v_from integer;
  a agent_configs;
begin
  perform pg_advisory_xact_lock(hashtext('agent:' || p_agent_id));
  select * into a from agent_configs where agent_id = p_agent_id and version = p_version;
  if not found then return jsonb_build_object('ok', false, 'reason', 'no_such_version'); end if;
  if a.status = 'current' then return jsonb_build_object('ok', false, 'reason', 'already_current'); end if;
  select version into v_from from agent_configs where agent_id = p_agent_id and status = 'current';
  update agent_configs set status = 'archived' where agent_id = p_agent_id and status = 'current';
  update agent_configs set status = 'current' where agent_id = p_agent_id and version = p_version returning * into a;
  insert into config_changes (target_kind, target_id, action, from_version, to_version, actor, reason)
  values ('agent', p_agent_id, 'rollback', v_from, p_version, p_actor, p_reason);
  return jsonb_build_object('ok', true, 'from_version', v_from, 'agent', to_jsonb(a));
end $$;

-- A candidate that lost its experiment is archived, never served again.
create or replace function agent_reject(p_agent_id text, p_version integer, p_actor text, p_reason text default null) returns jsonb
language plpgsql as $$
declare a agent_configs;
begin
  update agent_configs set status = 'archived' where agent_id = p_agent_id and version = p_version and status = 'candidate'
  returning * into a;
  if not found then return jsonb_build_object('ok', false, 'reason', 'not_candidate'); end if;
  insert into config_changes (target_kind, target_id, action, from_version, to_version, actor, reason)
  values ('agent', p_agent_id, 'reject', null, p_version, p_actor, p_reason);
  return jsonb_build_object('ok', true, 'agent', to_jsonb(a));
end $$;

-- Status of each "agent@version" asked about ({"general@3": "current", ...}); the pool drops archived ones.
create or replace function agent_statuses(p_refs jsonb) returns jsonb
language sql stable as $$
  select coalesce(jsonb_object_agg(a.agent_id || '@' || a.version, a.status), '{}'::jsonb)
    from agent_configs a
   where (a.agent_id || '@' || a.version) in (select jsonb_array_elements_text(p_refs))
$$;

-- The history of an agent: its versions (without prompts) and the changes made to them, newest first.
create or replace function agent_history(p_agent_id text, p_limit integer default 20) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'versions', coalesce((select jsonb_agg(jsonb_build_object('version', version, 'status', status, 'model', model,
                                                             'origin', origin, 'notes', notes, 'created_at', created_at) order by version desc)
                            from (select * from agent_configs where agent_id = p_agent_id order by version desc limit greatest(coalesce(p_limit, 20), 1)) v), '[]'::jsonb),
    'changes', coalesce((select jsonb_agg(to_jsonb(c) order by c.id desc)
                           from (select * from config_changes where target_kind = 'agent' and target_id = p_agent_id
                                  order by id desc limit greatest(coalesce(p_limit, 20), 1)) c), '[]'::jsonb))
$$;

-- ---------------------------------------------------------------------------------------------------
-- Workflow versions: every graph a workflow has had, so a replaced workflow can be rolled back to a named version.
create table if not exists workflow_versions (
  workflow_id uuid not null references workflows(id) on delete cascade,
  version     integer not null,
  graph       jsonb not null,
  triggers    text[] not null default '{}',
  description text,
  created_at  timestamptz not null default now(),
  primary key (workflow_id, version)
);
alter table workflow_versions enable row level security;

create or replace function workflow_keep_version() returns trigger
language plpgsql as $$
begin
  insert into workflow_versions (workflow_id, version, graph, triggers, description)
  values (new.id, new.version, new.graph, new.triggers, new.description)
  on conflict (workflow_id, version) do nothing;
  return new;
end $$;
drop trigger if exists workflows_keep_version on workflows;
create trigger workflows_keep_version after insert or update of version, graph on workflows
  for each row execute function workflow_keep_version();
insert into workflow_versions (workflow_id, version, graph, triggers, description)
select id, version, graph, triggers, description from workflows
on conflict (workflow_id, version) do nothing;

create or replace function workflow_get_by_id(p_workflow_id uuid) returns jsonb
language sql stable as $$
  select (to_jsonb(w) || (select to_jsonb(st) from workflow_stats(w.id) st)) from workflows w where w.id = p_workflow_id
$$;

-- Moves a workflow between active (replayed for everyone), candidate (replayed only by an experiment) and
-- archived, recording the change.
create or replace function workflow_set_status(p_workflow_id uuid, p_status text, p_actor text, p_reason text default null) returns jsonb
language plpgsql as $$
declare
  w workflows;
  v_old text;
begin
  if p_status not in ('active', 'candidate', 'archived') then
    raise exception 'workflow_set_status: status must be active, candidate or archived, not %', p_status using errcode = '22023';
  end if;
  select status into v_old from workflows where id = p_workflow_id for update;
  if not found then return jsonb_build_object('ok', false, 'reason', 'not_found'); end if;
  update workflows set status = p_status, updated_at = now() where id = p_workflow_id returning * into w;
  insert into config_changes (target_kind, target_id, action, from_version, to_version, actor, reason)
  values ('workflow', p_workflow_id::text,
          case when p_status = 'active' then 'activate' when p_status = 'archived' and v_old = 'candidate' then 'reject' else 'archive' end,
          w.version, w.version, p_actor, p_reason);
  return jsonb_build_object('ok', true, 'from_status', v_old, 'workflow', to_jsonb(w));
end $$;

-- Restores the graph, triggers and description of an earlier version as a new version (history stays linear).
create or replace function workflow_rollback(p_workflow_id uuid, p_version integer, p_actor text, p_reason text default null) returns jsonb
language plpgsql as $$
declare
  v workflow_versions;
  w workflows;
  v_from integer;
begin
  select * into v from workflow_versions where workflow_id = p_workflow_id and version = p_version;
  if not found then return jsonb_build_object('ok', false, 'reason', 'no_such_version'); end if;
  select version into v_from from workflows where id = p_workflow_id for update;
  update workflows set graph = v.graph, triggers = v.triggers, description = v.description, version = version + 1, updated_at = now()
   where id = p_workflow_id returning * into w;
  insert into config_changes (target_kind, target_id, action, from_version, to_version, actor, reason)
  values ('workflow', p_workflow_id::text, 'rollback', v_from, w.version, p_actor,
          coalesce(p_reason, '') || ' (restored version ' || p_version || ')');
  return jsonb_build_object('ok', true, 'restored', p_version, 'workflow', to_jsonb(w));
end $$;

-- ---------------------------------------------------------------------------------------------------
-- Start-up check for Supabase (migrated by `supabase db push`, not by the app): which of the functions the
-- app calls are missing from this database, with the arguments it sends.
create or replace function app_schema_check(p_functions jsonb) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(f.key order by f.key), '[]'::jsonb)
    from jsonb_each(p_functions) f
   where not exists (
     select 1 from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.proname = f.key
        and (select coalesce(bool_and(a = any(coalesce(p.proargnames, '{}'))), true) from jsonb_array_elements_text(f.value) a))
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 4) $$;

select app_restrict_functions(array['run_record_serving', 'run_finish', 'agent_promote', 'agent_rollback', 'agent_reject',
  'agent_statuses', 'agent_history', 'workflow_get_by_id', 'workflow_set_status', 'workflow_rollback',
  'app_schema_check', 'app_schema_version']);
