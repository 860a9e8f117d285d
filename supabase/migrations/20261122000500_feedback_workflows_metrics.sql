-- Users steer and see the system: feedback (/better, buttons, modal), saved workflows (/save-workflow,
-- /workflows) and the metrics report (/metrics, App Home). Idempotent like every migration here; the tables
-- themselves were created by 20261122000100_schema.sql.

alter table feedback add column if not exists updated_at timestamptz not null default now();
create index if not exists feedback_workspace_created on feedback (workspace_id, created_at);
create index if not exists runs_workspace_started on runs (workspace_id, started_at);
create index if not exists runs_workflow on runs (workflow_id) where workflow_id is not null;
create index if not exists enhancements_status on enhancements (status, decided_at);

-- One row per run that replayed a workflow (recorded by the replaying code): uses and success rate.
create table if not exists workflow_uses (
  workflow_id uuid not null references workflows(id) on delete cascade,
  run_id      uuid not null references runs(id) on delete cascade,
  succeeded   boolean not null,
  created_at  timestamptz not null default now(),
  primary key (run_id)
);
create index if not exists workflow_uses_workflow on workflow_uses (workflow_id);
alter table workflow_uses enable row level security;

-- ---------------------------------------------------------------------------------------------------
-- Feedback

-- The caller's most recent finished request in a channel (and thread, when known). Slash commands carry no
-- thread_ts, so /better and /save-workflow apply to the latest run of that user in that channel.
create or replace function run_latest_for_user(
  p_workspace_id text, p_channel_id text, p_user_id text, p_thread_ts text default null
) returns jsonb
language sql stable as $$
  select to_jsonb(r) from runs r
   where r.workspace_id = p_workspace_id and r.channel_id = p_channel_id and r.user_id = p_user_id
     and (p_thread_ts is null or r.thread_ts = p_thread_ts)
     and r.kind not in ('command', 'analyst') and r.status <> 'running'
   order by r.started_at desc
   limit 1
$$;

-- Records feedback on a run. A dedupe key (button clicks: run + user) makes repeated clicks one row: the
-- latest rating wins, created = false. A new row with a category also files an improvement proposal
-- (enhancements, source 'user') against each agent the run used, or the workflow it replayed, or routing.
create or replace function feedback_record(
  p_run_id uuid, p_workspace_id text, p_user_id text, p_source text,
  p_rating integer default null, p_text text default null, p_category text default null, p_dedupe_key text default null
) returns jsonb
language plpgsql as $$
declare
  f feedback;
  r runs;
  v_created boolean := true;
  v_proposals jsonb := '[]'::jsonb;
begin
  select * into r from runs where id = p_run_id and workspace_id = p_workspace_id;
  if not found then
    return jsonb_build_object('ok', false, 'reason', 'no_run');
  end if;
  if p_dedupe_key is not null then
    update feedback set rating = coalesce(p_rating, rating), text = coalesce(nullif(p_text, ''), text),
                        category = coalesce(p_category, category), updated_at = now()
     where dedupe_key = p_dedupe_key
    returning * into f;
    v_created := not found;
  end if;
  if v_created then
    insert into feedback (run_id, workspace_id, user_id, rating, text, category, source, dedupe_key)
    values (p_run_id, p_workspace_id, p_user_id, p_rating, nullif(left(p_text, 4000), ''), p_category, p_source, p_dedupe_key)
    on conflict (dedupe_key) where dedupe_key is not null do nothing
    returning * into f;
    if not found then
      -- A concurrent click with the same key won the insert: this one is the duplicate.
      select * into f from feedback where dedupe_key = p_dedupe_key;
      v_created := false;
    end if;
  end if;
  if v_created and p_category is not null then
    with targets(kind, id) as (
      select 'workflow', r.workflow_id::text where r.workflow_id is not null
      union all
      select 'agent', a from unnest(r.agent_ids) a where r.workflow_id is null
      union all
      select 'routing', null where r.workflow_id is null and cardinality(r.agent_ids) = 0
    ), made as (
      insert into enhancements (source, target_kind, target_id, category, change, expected_impact, status, reasons, source_run_id)
      select 'user', t.kind, t.id, p_category,
             jsonb_build_object('feedback_id', f.id, 'rating', p_rating, 'text', f.text, 'request', left(r.request_text, 500)),
             'fewer "' || p_category || '" complaints and higher ratings', 'proposed',
             coalesce(f.text, 'rating ' || p_rating), r.id
        from targets t
      returning jsonb_build_object('id', id, 'target_kind', target_kind, 'target_id', target_id, 'category', category) as x
    )
    select coalesce(jsonb_agg(x), '[]'::jsonb) into v_proposals from made;
  end if;
  return jsonb_build_object('ok', true, 'created', v_created, 'feedback', to_jsonb(f), 'run', to_jsonb(r),
                            'proposals', v_proposals);
end $$;

-- ---------------------------------------------------------------------------------------------------
-- Workflows

-- The plan of the goal a run executed, or null when the run was a direct answer.
create or replace function goal_plan_for_run(p_run_id uuid) returns jsonb
language sql stable as $$
  select g.plan from goals g where g.run_id = p_run_id and g.plan is not null order by g.created_at desc limit 1
$$;

-- Usage of a workflow: runs that replayed it, how many succeeded, and the ratings they got. (A table
-- function, not jsonb: it is a helper of the functions below, not an rpc.)
create or replace function workflow_stats(p_workflow_id uuid)
returns table (uses bigint, successes bigint, last_used_at timestamptz, ratings bigint, avg_rating numeric)
language sql stable as $$
  select count(*),
         count(*) filter (where coalesce(u.succeeded, r.status = 'succeeded')),
         max(r.started_at),
         (select count(f.rating) from feedback f join runs x on x.id = f.run_id where x.workflow_id = p_workflow_id),
         (select round(avg(f.rating), 2) from feedback f join runs x on x.id = f.run_id where x.workflow_id = p_workflow_id)
    from runs r left join workflow_uses u on u.run_id = r.id
   where r.workflow_id = p_workflow_id
$$;

-- Saves a workflow. A taken name is refused (ok = false, with the existing workflow) unless p_replace:
-- then graph, triggers and description are overwritten and the version grows.
create or replace function workflow_save(
  p_workspace_id text, p_name text, p_graph jsonb, p_kind text default 'saved', p_description text default null,
  p_triggers jsonb default '[]', p_source_run_id uuid default null, p_created_by text default null,
  p_replace boolean default false
) returns jsonb
language plpgsql as $$
declare
  w workflows;
  v_triggers text[] := coalesce(array(select jsonb_array_elements_text(p_triggers)), '{}');
begin
  insert into workflows (workspace_id, name, description, kind, graph, triggers, source_run_id, created_by)
  values (p_workspace_id, p_name, p_description, coalesce(p_kind, 'saved'), p_graph, v_triggers, p_source_run_id, p_created_by)
  on conflict (workspace_id, name) do nothing
  returning * into w;
  if found then
    return jsonb_build_object('ok', true, 'replaced', false, 'workflow', (to_jsonb(w) || (select to_jsonb(st) from workflow_stats(w.id) st)));
  end if;
  if not coalesce(p_replace, false) then
    select * into w from workflows where workspace_id = p_workspace_id and name = p_name;
    return jsonb_build_object('ok', false, 'reason', 'name_taken', 'workflow', (to_jsonb(w) || (select to_jsonb(st) from workflow_stats(w.id) st)));
  end if;
  update workflows set description = p_description, kind = coalesce(p_kind, 'saved'), status = 'active', graph = p_graph,
                       triggers = v_triggers, source_run_id = p_source_run_id, created_by = p_created_by,
                       version = version + 1, updated_at = now()
   where workspace_id = p_workspace_id and name = p_name
  returning * into w;
  return jsonb_build_object('ok', true, 'replaced', true, 'workflow', (to_jsonb(w) || (select to_jsonb(st) from workflow_stats(w.id) st)));
end $$;

create or replace function workflow_get(p_workspace_id text, p_name text) returns jsonb
language sql stable as $$
  select (to_jsonb(w) || (select to_jsonb(st) from workflow_stats(w.id) st)) from workflows w where w.workspace_id = p_workspace_id and w.name = p_name
$$;

-- Saved and induced workflows of a workspace (archived ones left out), most used first.
create or replace function workflow_list(p_workspace_id text, p_status text default null) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(x order by (x->>'uses')::integer desc, x->>'name'), '[]'::jsonb)
    from (select (to_jsonb(w) || (select to_jsonb(st) from workflow_stats(w.id) st)) as x from workflows w
           where w.workspace_id = p_workspace_id
             and (case when p_status is null then w.status <> 'archived' else w.status = p_status end)) rows
$$;

create or replace function workflow_delete(p_workspace_id text, p_name text) returns jsonb
language sql as $$
  with gone as (delete from workflows where workspace_id = p_workspace_id and name = p_name returning id)
  select jsonb_build_object('deleted', (select count(*) from gone) > 0)
$$;

-- Records that a run replayed a workflow (idempotent per run): the run points at the workflow, and the
-- outcome counts towards the workflow's success rate.
create or replace function workflow_record_use(p_workflow_id uuid, p_run_id uuid, p_succeeded boolean) returns jsonb
language plpgsql as $$
begin
  update runs set workflow_id = p_workflow_id where id = p_run_id;
  if not found then
    return jsonb_build_object('ok', false, 'reason', 'no_run');
  end if;
  insert into workflow_uses (workflow_id, run_id, succeeded) values (p_workflow_id, p_run_id, p_succeeded)
  on conflict (run_id) do update set workflow_id = excluded.workflow_id, succeeded = excluded.succeeded;
  return jsonb_build_object('ok', true);
end $$;

-- ---------------------------------------------------------------------------------------------------
-- Metrics

-- The /metrics report and the App Home summary, computed from one workspace's run log in one statement.
-- p_hours null: all time. p_agent_id: only runs that agent took part in ({"unknown_agent": true} when no such
-- agent exists). Counted: user requests (kinds message, goal, workflow), not commands or analyst runs.
-- Success rate and latency are over finished runs; per-query cost is total cost / runs. Days are UTC days.
create or replace function metrics_report(p_workspace_id text, p_hours integer default null, p_agent_id text default null)
returns jsonb
language sql stable as $$
  with bounds as (
    select case when p_hours is null then '-infinity'::timestamptz else now() - make_interval(hours => p_hours) end as since,
           (now() at time zone 'utc')::date as today
  ), r as (
    select x.* from runs x, bounds b
     where x.workspace_id = p_workspace_id and x.started_at >= b.since and x.kind in ('message', 'goal', 'workflow')
       and (p_agent_id is null or p_agent_id = any(x.agent_ids))
  ), totals as (
    select count(*) as runs,
           count(*) filter (where status <> 'running') as finished,
           count(*) filter (where status = 'succeeded') as succeeded,
           percentile_cont(0.5) within group (order by latency_ms) filter (where status <> 'running') as p50_ms,
           percentile_cont(0.95) within group (order by latency_ms) filter (where status <> 'running') as p95_ms,
           coalesce(sum(cost_usd), 0) as cost_usd,
           coalesce(sum(cost_unknown_steps), 0) as cost_unknown_steps,
           coalesce(sum(tokens_in), 0) as tokens_in,
           coalesce(sum(tokens_out), 0) as tokens_out,
           min((started_at at time zone 'utc')::date) as first_day
      from r
  ), days as (
    -- Every day of the period (at most the last 366), zeros included, so the chart's axis has no gaps.
    select d::date as day
      from totals t, bounds b,
           generate_series(greatest(case when p_hours is null then t.first_day else (b.since at time zone 'utc')::date end,
                                    b.today - 365), b.today, interval '1 day') d
     where t.runs > 0
  ), per_day as (
    select (started_at at time zone 'utc')::date as day, count(*) as runs,
           count(*) filter (where status <> 'running') as finished,
           count(*) filter (where status = 'succeeded') as succeeded,
           coalesce(sum(cost_usd), 0) as cost_usd
      from r group by 1
  ), daily as (
    select jsonb_agg(jsonb_build_object('day', to_char(d.day, 'YYYY-MM-DD'), 'runs', coalesce(p.runs, 0),
                                        'finished', coalesce(p.finished, 0), 'succeeded', coalesce(p.succeeded, 0),
                                        'cost_usd', coalesce(p.cost_usd, 0))
                     order by d.day) as series
      from days d left join per_day p on p.day = d.day
  ), fb as (
    select count(*) as count, count(f.rating) as rated, avg(f.rating) as avg_rating
      from feedback f join runs fr on fr.id = f.run_id, bounds b
     where f.workspace_id = p_workspace_id and f.created_at >= b.since
       and (p_agent_id is null or p_agent_id = any(fr.agent_ids))
  ), agents as (
    select jsonb_agg(jsonb_build_object('agent_id', agent_id, 'runs', runs, 'succeeded', succeeded, 'cost_usd', cost_usd)
                     order by runs desc, agent_id) as list
      from (select a.agent_id, count(*) as runs, count(*) filter (where r.status = 'succeeded') as succeeded,
                   coalesce(sum(r.cost_usd), 0) as cost_usd
              from r, unnest(r.agent_ids) a(agent_id)
             group by a.agent_id order by count(*) desc, a.agent_id limit 5) top
  ), errors as (
    select jsonb_agg(jsonb_build_object('error_class', error_class, 'count', n) order by n desc, error_class) as list
      from (select error_class, count(*) as n from r where error_class is not null
             group by error_class order by count(*) desc, error_class limit 5) top
  ), pats as (
    select jsonb_agg(jsonb_build_object('signature', signature, 'example', example, 'occurrences', occurrences,
                                        'successes', successes, 'avg_rating', avg_rating, 'strength', strength)
                     order by occurrences desc, signature) as list
      from (select p.* from patterns p, bounds b where p.workspace_id = p_workspace_id and p.last_seen >= b.since
             order by p.occurrences desc, p.signature limit 5) top
  ), improvements as (
    select count(*) as applied,
           jsonb_agg(jsonb_build_object('id', e.id, 'category', e.category, 'target_kind', e.target_kind, 'target_id', e.target_id,
                                        'expected_impact', e.expected_impact, 'measured_impact', e.measured_impact,
                                        'decided_at', e.decided_at)
                     order by e.decided_at desc nulls last) filter (where e.rn <= 5) as list
      from (select e.*, row_number() over (order by e.decided_at desc nulls last, e.id) as rn
              from enhancements e, bounds b
             where e.status = 'applied' and coalesce(e.decided_at, e.created_at) >= b.since
               and (p_agent_id is null or (e.target_kind = 'agent' and e.target_id = p_agent_id))) e
  ), budget as (
    -- Budgets that cover this workspace (global, the workspace, the agent asked about), spent this period.
    select jsonb_agg(jsonb_build_object('scope', s.scope, 'scope_id', s.scope_id, 'period', s.period, 'limit_usd', s.limit_usd,
                                        'action', s.action, 'spent_usd', s.spent)
                     order by s.scope, s.scope_id, s.period) as list
      from (select bu.*, (
              select coalesce(sum(x.cost_usd), 0) from runs x
               where x.started_at >= (date_trunc(case bu.period when 'daily' then 'day' else 'month' end,
                                                 now() at time zone 'utc') at time zone 'utc')
                 and (bu.scope = 'global' or (bu.scope = 'workspace' and x.workspace_id = bu.scope_id)
                      or (bu.scope = 'agent' and bu.scope_id = any(x.agent_ids)))) as spent
              from budgets bu
             where bu.scope = 'global' or (bu.scope = 'workspace' and bu.scope_id = p_workspace_id)
                or (bu.scope = 'agent' and bu.scope_id = p_agent_id)) s
  )
  select case when p_agent_id is not null and not exists (select 1 from agent_configs where agent_id = p_agent_id)
    then jsonb_build_object('unknown_agent', true)
    else jsonb_build_object(
      'since', (select case when p_hours is null then null else since end from bounds),
      'generated_at', now(),
      'runs', t.runs, 'finished', t.finished, 'succeeded', t.succeeded,
      'success_rate', case when t.finished > 0 then t.succeeded::numeric / t.finished end,
      'p50_ms', t.p50_ms, 'p95_ms', t.p95_ms,
      'cost_usd', t.cost_usd, 'cost_unknown_steps', t.cost_unknown_steps,
      'cost_per_query_usd', case when t.runs > 0 then t.cost_usd / t.runs end,
      'tokens_in', t.tokens_in, 'tokens_out', t.tokens_out,
      'feedback_count', fb.count, 'rated_count', fb.rated, 'avg_rating', fb.avg_rating,
      'top_agents', coalesce(agents.list, '[]'::jsonb),
      'top_errors', coalesce(errors.list, '[]'::jsonb),
      'top_patterns', coalesce(pats.list, '[]'::jsonb),
      'improvements_applied', improvements.applied,
      'improvements', coalesce(improvements.list, '[]'::jsonb),
      'budgets', coalesce(budget.list, '[]'::jsonb),
      'daily', coalesce(daily.series, '[]'::jsonb))
    end
    from totals t, fb, agents, errors, pats, improvements, budget, daily
$$;

select app_restrict_functions(array['run_latest_for_user', 'feedback_record', 'goal_plan_for_run', 'workflow_stats',
  'workflow_save', 'workflow_get', 'workflow_list', 'workflow_delete', 'workflow_record_use', 'metrics_report']);
