-- The store's operations, one SQL function each.
--
-- Why functions: the same SQL serves three transports. PGlite and Postgres call
--   select fn(p_arg => $1, ...) as result
-- and Supabase calls supabase.rpc('fn', { p_arg: ... }). Every function takes named arguments and returns
-- jsonb, so all three transports see identical JSON and cannot drift. A test reads pg_proc to prove every
-- rpc name and argument the TypeScript side sends exists here.

alter table runs add column if not exists step_count integer not null default 0;

-- Bumped whenever a migration adds or changes a function the app calls; the app refuses to start on an
-- older schema with a message that says how to migrate.
create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 1) $$;

create or replace function app_ping() returns jsonb
language sql stable as $$ select jsonb_build_object('ok', true, 'now', now()) $$;

-- ---------------------------------------------------------------------------------------------------
-- Run log

-- Starts a run, idempotently. A retried delivery (same event id) or the same message delivered as both
-- app_mention and message (same channel + ts) finds the existing run: created = false. The delivery that
-- holds the run's lease answers it; a later delivery may take over only when the lease has expired while
-- the run is still 'running' (the first attempt died), so exactly one delivery answers.
create or replace function run_start(
  p_workspace_id text,
  p_surface text,
  p_event_id text default null,
  p_channel_id text default null,
  p_message_ts text default null,
  p_thread_ts text default null,
  p_user_id text default null,
  p_request_text text default '',
  p_kind text default 'message',
  p_lease_seconds integer default 300
) returns jsonb
language plpgsql as $$
declare
  r runs;
begin
  insert into runs (workspace_id, surface, event_id, channel_id, message_ts, thread_ts, user_id, request_text, kind,
                    lease_expires_at)
  values (p_workspace_id, p_surface, p_event_id, p_channel_id, p_message_ts, p_thread_ts, p_user_id,
          coalesce(p_request_text, ''), coalesce(p_kind, 'message'),
          now() + make_interval(secs => coalesce(p_lease_seconds, 300)))
  on conflict do nothing
  returning * into r;
  if found then
    return jsonb_build_object('run', to_jsonb(r), 'created', true, 'claimed', true);
  end if;

  select * into r from runs
   where workspace_id = p_workspace_id
     and ((p_event_id is not null and event_id = p_event_id)
       or (p_message_ts is not null and channel_id is not distinct from p_channel_id and message_ts = p_message_ts))
   order by started_at
   limit 1
   for update;
  if not found then
    -- The conflicting row was deleted between the insert and the select: extremely rare; let the caller retry.
    raise exception 'run_start: conflicting run vanished' using errcode = '40001';
  end if;

  if r.status = 'running' and r.lease_expires_at < now() then
    update runs set attempt = attempt + 1,
                    lease_expires_at = now() + make_interval(secs => coalesce(p_lease_seconds, 300))
     where id = r.id
     returning * into r;
    return jsonb_build_object('run', to_jsonb(r), 'created', false, 'claimed', true);
  end if;
  return jsonb_build_object('run', to_jsonb(r), 'created', false, 'claimed', false);
end $$;

-- Appends a step. seq comes from a counter on the run row, so concurrent steps of one run (parallel tasks)
-- never collide. p_cost_usd null means the model's price is unknown (never recorded as 0).
create or replace function run_add_step(
  p_run_id uuid,
  p_kind text,
  p_status text,
  p_name text default null,
  p_agent_id text default null,
  p_agent_version integer default null,
  p_model text default null,
  p_tokens_in integer default 0,
  p_tokens_out integer default 0,
  p_cost_usd numeric default null,
  p_latency_ms integer default null,
  p_error_class text default null,
  p_detail jsonb default '{}'
) returns jsonb
language plpgsql as $$
declare
  n integer;
  s run_steps;
begin
  update runs set step_count = step_count + 1 where id = p_run_id returning step_count into n;
  if not found then
    raise exception 'run_add_step: no run %', p_run_id using errcode = 'P0002';
  end if;
  insert into run_steps (run_id, seq, kind, name, agent_id, agent_version, model, tokens_in, tokens_out, cost_usd,
                         latency_ms, status, error_class, detail)
  values (p_run_id, n, p_kind, p_name, p_agent_id, p_agent_version, p_model, coalesce(p_tokens_in, 0),
          coalesce(p_tokens_out, 0), p_cost_usd, p_latency_ms, p_status, p_error_class, coalesce(p_detail, '{}'))
  returning * into s;
  return to_jsonb(s);
end $$;

-- Finishes a run: outcome, route, agents, and totals aggregated from its steps in SQL.
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
    cost_unknown_steps = t.unknown
  from (
    select coalesce(sum(tokens_in), 0)::integer as tokens_in,
           coalesce(sum(tokens_out), 0)::integer as tokens_out,
           coalesce(sum(cost_usd), 0) as cost_usd,
           (count(*) filter (where kind in ('model', 'router', 'plan', 'synthesis') and cost_usd is null))::integer as unknown
      from run_steps where run_id = p_run_id
  ) t
  where u.id = p_run_id
  returning u.* into r;
  if not found then
    raise exception 'run_finish: no run %', p_run_id using errcode = 'P0002';
  end if;
  return to_jsonb(r);
end $$;

create or replace function run_get(p_run_id uuid) returns jsonb
language sql stable as $$
  select case when r.id is null then null else
    to_jsonb(r) || jsonb_build_object('steps', coalesce(
      (select jsonb_agg(to_jsonb(s) order by s.seq) from run_steps s where s.run_id = r.id), '[]'::jsonb))
  end
  from (select 1) one left join runs r on r.id = p_run_id
$$;

-- Runs matching a Slack key, for tests and for the delivery path (which run did this event become?).
create or replace function run_find(
  p_workspace_id text,
  p_event_id text default null,
  p_channel_id text default null,
  p_message_ts text default null
) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(to_jsonb(r) order by r.started_at), '[]'::jsonb)
    from runs r
   where r.workspace_id = p_workspace_id
     and ((p_event_id is not null and r.event_id = p_event_id)
       or (p_message_ts is not null and r.channel_id is not distinct from p_channel_id and r.message_ts = p_message_ts))
$$;

-- ---------------------------------------------------------------------------------------------------
-- Agent configurations

-- Saves a new version of an agent. Versions of one agent are serialised by a transaction-scoped advisory
-- lock (safe through PostgREST: the lock lives only for this call's transaction).
create or replace function agent_save(p_config jsonb, p_status text default 'current') returns jsonb
language plpgsql as $$
declare
  v_agent_id text := p_config->>'agent_id';
  v_next integer;
  a agent_configs;
begin
  if v_agent_id is null or v_agent_id !~ '^[a-z0-9][a-z0-9_-]{0,62}$' then
    raise exception 'agent_save: agent_id must be a slug, got %', coalesce(v_agent_id, 'null') using errcode = '22023';
  end if;
  perform pg_advisory_xact_lock(hashtext('agent:' || v_agent_id));
  select coalesce(max(version), 0) + 1 into v_next from agent_configs where agent_id = v_agent_id;
  if coalesce(p_status, 'current') = 'current' then
    update agent_configs set status = 'archived' where agent_id = v_agent_id and status = 'current';
  end if;
  insert into agent_configs (agent_id, version, status, specialty, description, system_prompt, model, temperature,
                             max_tokens, tools, origin, notes)
  values (v_agent_id, v_next, coalesce(p_status, 'current'), p_config->>'specialty', p_config->>'description',
          p_config->>'system_prompt', nullif(p_config->>'model', ''),
          coalesce((p_config->>'temperature')::numeric, 0.3), (p_config->>'max_tokens')::integer,
          coalesce(array(select jsonb_array_elements_text(p_config->'tools')), '{}'),
          coalesce(p_config->>'origin', 'user'), p_config->>'notes')
  returning * into a;
  return to_jsonb(a);
end $$;

-- The current version of an agent, or a given version; null when absent.
create or replace function agent_get(p_agent_id text, p_version integer default null) returns jsonb
language sql stable as $$
  select to_jsonb(a) from agent_configs a
   where a.agent_id = p_agent_id
     and (case when p_version is null then a.status = 'current' else a.version = p_version end)
   limit 1
$$;

-- Current version numbers of the given agents ({"agent_id": version}); the pool uses it to evict stale agents.
create or replace function agent_current_versions(p_agent_ids jsonb) returns jsonb
language sql stable as $$
  select coalesce(jsonb_object_agg(a.agent_id, a.version), '{}'::jsonb)
    from agent_configs a
   where a.status = 'current' and a.agent_id in (select jsonb_array_elements_text(p_agent_ids))
$$;

-- A page of current agents, without their prompts (the registry may hold thousands).
create or replace function agent_list(p_limit integer default 100, p_offset integer default 0) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'total', (select count(*) from agent_configs where status = 'current'),
    'agents', coalesce(jsonb_agg(x order by x->>'agent_id'), '[]'::jsonb))
  from (
    select jsonb_build_object('agent_id', agent_id, 'version', version, 'specialty', specialty,
                              'description', description, 'model', model, 'tools', tools, 'origin', origin) as x
      from agent_configs where status = 'current'
     order by agent_id limit greatest(least(coalesce(p_limit, 100), 1000), 1) offset greatest(coalesce(p_offset, 0), 0)
  ) page
$$;

-- Full-text match of a request against current agents' specialty and description, best first.
create or replace function agent_search(p_query text, p_limit integer default 5) returns jsonb
language sql stable as $$
  with q as (
    -- OR of the request's words, so a request sharing a few words with a description still matches.
    select to_tsquery('english', string_agg(quote_literal(w) || ':*', ' | ')) as tsq
      from (select distinct lexeme as w from unnest(to_tsvector('english', coalesce(p_query, '')))) words
  )
  select coalesce(jsonb_agg(x order by (x->>'rank')::real desc, x->>'agent_id'), '[]'::jsonb)
    from (
      select jsonb_build_object('agent_id', a.agent_id, 'version', a.version, 'specialty', a.specialty,
                                'description', a.description,
                                'rank', ts_rank(to_tsvector('english', a.specialty || ' ' || a.description), q.tsq)) as x
        from agent_configs a, q
       where a.status = 'current' and q.tsq is not null
         and to_tsvector('english', a.specialty || ' ' || a.description) @@ q.tsq
       order by ts_rank(to_tsvector('english', a.specialty || ' ' || a.description), q.tsq) desc
       limit greatest(least(coalesce(p_limit, 5), 50), 1)
    ) ranked
$$;

-- Adds a lineage edge. A depends_on edge that would close a cycle is refused.
create or replace function lineage_add(
  p_child_kind text, p_child_id text, p_relation text, p_parent_kind text, p_parent_id text, p_reason text default null
) returns jsonb
language plpgsql as $$
declare
  e lineage;
begin
  if p_child_kind = p_parent_kind and p_child_id = p_parent_id then
    raise exception 'lineage_add: % % cannot relate to itself', p_child_kind, p_child_id using errcode = '22023';
  end if;
  if p_relation = 'depends_on' and exists (
    with recursive up(kind, id) as (
      select p_parent_kind, p_parent_id
      union
      select l.parent_kind, l.parent_id from lineage l join up on l.child_kind = up.kind and l.child_id = up.id
       where l.relation = 'depends_on'
    ) select 1 from up where up.kind = p_child_kind and up.id = p_child_id
  ) then
    raise exception 'lineage_add: depends_on cycle through % %', p_child_kind, p_child_id using errcode = '22023';
  end if;
  insert into lineage (child_kind, child_id, relation, parent_kind, parent_id, reason)
  values (p_child_kind, p_child_id, p_relation, p_parent_kind, p_parent_id, p_reason)
  on conflict (child_kind, child_id, relation, parent_kind, parent_id) do update set reason = coalesce(excluded.reason, lineage.reason)
  returning * into e;
  return to_jsonb(e);
end $$;

create or replace function lineage_of(p_kind text, p_id text) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'parents', coalesce((select jsonb_agg(to_jsonb(l) order by l.id) from lineage l where l.child_kind = p_kind and l.child_id = p_id), '[]'::jsonb),
    'children', coalesce((select jsonb_agg(to_jsonb(l) order by l.id) from lineage l where l.parent_kind = p_kind and l.parent_id = p_id), '[]'::jsonb))
$$;

-- ---------------------------------------------------------------------------------------------------
-- Only the server may call these. On Supabase, anon and authenticated must not reach them through the API.
-- Every migration that adds store functions ends with `select app_restrict_functions(array[...])`.
create or replace function app_restrict_functions(p_names text[]) returns void
language plpgsql as $$
declare f record;
begin
  for f in select p.oid::regprocedure as sig from pg_proc p
            where p.pronamespace = 'public'::regnamespace and p.proname = any(p_names)
  loop
    execute format('revoke execute on function %s from public', f.sig);
    if exists (select 1 from pg_roles where rolname = 'anon') then
      execute format('revoke execute on function %s from anon, authenticated', f.sig);
    end if;
  end loop;
end $$;

select app_restrict_functions(array(
  select proname::text from pg_proc
   where pronamespace = 'public'::regnamespace
     and (proname like 'run\_%' or proname like 'agent\_%' or proname like 'lineage\_%' or proname like 'app\_%')));
