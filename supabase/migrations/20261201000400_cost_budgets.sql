-- Analysts on a schedule, part 2: spend and budgets (set from chat by admins, enforced on the next request,
-- alerts once per threshold per period), the enhancements the analysts file, and the learning figures of /metrics.

create index if not exists runs_user_started on runs (user_id, started_at) where user_id is not null;
create index if not exists runs_agent_ids on runs using gin (agent_ids);

alter table budgets add column if not exists created_by text;

-- ---------------------------------------------------------------------------------------------------
-- Budgets

-- The start of the budget period that contains now (UTC days and months), and when it resets.
create or replace function budget_period_start(p_period text) returns timestamptz
language sql stable as $$
  select date_trunc(case p_period when 'daily' then 'day' else 'month' end, now() at time zone 'utc') at time zone 'utc'
$$;

create or replace function budget_period_end(p_period text) returns timestamptz
language sql stable as $$
  select budget_period_start(p_period) + case p_period when 'daily' then interval '1 day' else interval '1 month' end
$$;

-- Known spend of a budget's scope in its current period (every run, analysts' included, for global and workspace).
create or replace function budget_spent(p_scope text, p_scope_id text, p_period text) returns numeric
language sql stable as $$
  select coalesce(sum(r.cost_usd), 0) from runs r
   where r.started_at >= budget_period_start(p_period)
     and case p_scope
       when 'global' then true
       when 'workspace' then r.workspace_id = p_scope_id
       when 'user' then r.user_id = p_scope_id
       when 'agent' then p_scope_id = any(r.agent_ids)
       else false end
$$;

create or replace function budget_view(b budgets) returns jsonb
language sql stable as $$
  select to_jsonb(b) || jsonb_build_object('spent_usd', budget_spent(b.scope, b.scope_id, b.period),
                                           'period_start', budget_period_start(b.period), 'resets_at', budget_period_end(b.period))
$$;

create or replace function budget_set(p_scope text, p_scope_id text, p_period text, p_limit_usd numeric, p_action text default 'warn',
  p_created_by text default null) returns jsonb
language sql as $$
  insert into budgets (scope, scope_id, period, limit_usd, action, created_by)
  values (p_scope, coalesce(nullif(p_scope_id, ''), '*'), p_period, p_limit_usd, coalesce(p_action, 'warn'), p_created_by)
  on conflict (scope, scope_id, period) do update set limit_usd = excluded.limit_usd, action = excluded.action, created_by = excluded.created_by
  returning budget_view(budgets)
$$;

create or replace function budget_remove(p_scope text, p_scope_id text, p_period text) returns jsonb
language sql as $$
  with gone as (delete from budgets where scope = p_scope and scope_id = coalesce(nullif(p_scope_id, ''), '*') and period = p_period returning id)
  select jsonb_build_object('removed', (select count(*) from gone) > 0)
$$;

create or replace function budget_list() returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(budget_view(b) order by b.scope, b.scope_id, b.period), '[]'::jsonb) from budgets b
$$;

-- The budgets that cover one request (global, its workspace, its user, its agent), with their spend: the serving
-- decision enforces the worst one. Empty (cheap) when no budget is set.
create or replace function budget_status(p_workspace_id text, p_user_id text default null, p_agent_id text default null) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(budget_view(b) order by b.scope, b.period), '[]'::jsonb) from budgets b
   where b.scope = 'global' or (b.scope = 'workspace' and b.scope_id = p_workspace_id)
      or (b.scope = 'user' and b.scope_id = p_user_id) or (b.scope = 'agent' and b.scope_id = p_agent_id)
$$;

-- Claims the alert of one threshold in the current period: true for exactly one caller across instances.
create or replace function budget_alert_claim(p_budget_id uuid, p_threshold integer, p_spent_usd numeric) returns jsonb
language sql as $$
  with claimed as (
    insert into budget_alerts (budget_id, period_start, threshold, spent_usd)
    select b.id, (budget_period_start(b.period) at time zone 'utc')::date, p_threshold, p_spent_usd from budgets b where b.id = p_budget_id
    on conflict do nothing
    returning 1)
  select jsonb_build_object('claimed', exists (select 1 from claimed))
$$;

-- Every budget at or past 80 % / 100 % whose alert for this period was not raised yet: raised here (once).
create or replace function budget_alerts_due() returns jsonb
language sql as $$
  with spent as (
    select b.*, budget_spent(b.scope, b.scope_id, b.period) as spent from budgets b
  ), due as (
    select s.*, t.threshold from spent s cross join (values (80), (100)) t(threshold)
     where s.spent >= s.limit_usd * t.threshold / 100.0
  ), claimed as (
    insert into budget_alerts (budget_id, period_start, threshold, spent_usd)
    select id, (budget_period_start(period) at time zone 'utc')::date, threshold, spent from due
    on conflict do nothing
    returning budget_id, threshold, spent_usd)
  select coalesce(jsonb_agg(jsonb_build_object('budget', budget_view(b), 'threshold', c.threshold, 'spent_usd', c.spent_usd)
                            order by b.scope, b.scope_id, c.threshold), '[]'::jsonb)
    from claimed c join budgets b on b.id = c.budget_id
$$;

-- Spend since a time, by user, agent, workflow, model and day; model costs from the steps, so a step whose model
-- has no price is counted as unknown, never as 0.
create or replace function spend_report(p_since timestamptz, p_workspace_id text default null) returns jsonb
language sql stable as $$
  with r as (
    select * from runs where started_at >= p_since and (p_workspace_id is null or workspace_id = p_workspace_id)
  ), steps as (
    select s.model, s.cost_usd, s.tokens_in, s.tokens_out from run_steps s join r on r.id = s.run_id where s.model is not null
  )
  select jsonb_build_object(
    'total_usd', (select coalesce(sum(cost_usd), 0) from r),
    'unknown_cost_steps', (select coalesce(sum(cost_unknown_steps), 0) from r),
    'learning_usd', (select coalesce(sum(cost_usd), 0) from r where kind = 'analyst'),
    'by_user', (select coalesce(jsonb_agg(x order by (x->>'cost_usd')::numeric desc), '[]'::jsonb) from (
      select jsonb_build_object('user_id', user_id, 'runs', count(*), 'cost_usd', sum(cost_usd)) as x from r
       where user_id is not null and kind <> 'analyst' group by user_id order by sum(cost_usd) desc limit 20) u),
    'by_agent', (select coalesce(jsonb_agg(x order by (x->>'cost_usd')::numeric desc), '[]'::jsonb) from (
      select jsonb_build_object('agent_id', a, 'runs', count(*), 'cost_usd', sum(cost_usd)) as x from r, unnest(agent_ids) a
       group by a order by sum(cost_usd) desc limit 20) g),
    'by_workflow', (select coalesce(jsonb_agg(x order by (x->>'cost_usd')::numeric desc), '[]'::jsonb) from (
      select jsonb_build_object('workflow_id', workflow_id, 'runs', count(*), 'cost_usd', sum(cost_usd)) as x from r
       where workflow_id is not null group by workflow_id order by sum(cost_usd) desc limit 20) w),
    'by_model', (select coalesce(jsonb_agg(x order by (x->>'cost_usd')::numeric desc nulls last), '[]'::jsonb) from (
      select jsonb_build_object('model', model, 'calls', count(*), 'tokens', sum(tokens_in + tokens_out), 'cost_usd', sum(cost_usd),
                                'unknown_cost_calls', count(*) filter (where cost_usd is null)) as x
        from steps group by model order by sum(cost_usd) desc nulls last limit 20) m),
    'by_day', (select coalesce(jsonb_agg(x order by x->>'day'), '[]'::jsonb) from (
      select jsonb_build_object('day', to_char((started_at at time zone 'utc')::date, 'YYYY-MM-DD'), 'runs', count(*), 'cost_usd', sum(cost_usd)) as x
        from r group by (started_at at time zone 'utc')::date) d))
$$;

-- ---------------------------------------------------------------------------------------------------
-- Enhancements filed by analysts: one open proposal per (target, category) at a time.
alter table enhancements drop constraint if exists enhancements_status_check;
alter table enhancements add constraint enhancements_status_check
  check (status in ('proposed', 'screening', 'testing', 'applied', 'rejected', 'rolled_back'));
alter table enhancements drop constraint if exists enhancements_target_kind_check;
alter table enhancements add constraint enhancements_target_kind_check check (target_kind in ('agent', 'workflow', 'routing', 'cache'));
alter table enhancements add column if not exists updated_at timestamptz not null default now();
alter table enhancements add column if not exists approved_by text;
alter table enhancements add column if not exists experiment_id uuid;
create unique index if not exists enhancements_one_open on enhancements (target_kind, coalesce(target_id, ''), category)
  where status in ('proposed', 'screening', 'testing') and source <> 'user';

create or replace function enhancement_propose(
  p_source text, p_target_kind text, p_target_id text, p_category text, p_change jsonb, p_expected_impact text default null,
  p_reasons text default null, p_source_run_id uuid default null
) returns jsonb
language plpgsql as $$
declare e enhancements;
begin
  insert into enhancements (source, target_kind, target_id, category, change, expected_impact, reasons, source_run_id)
  values (p_source, p_target_kind, p_target_id, p_category, coalesce(p_change, '{}'), p_expected_impact, p_reasons, p_source_run_id)
  on conflict (target_kind, coalesce(target_id, ''), category) where status in ('proposed', 'screening', 'testing') and source <> 'user'
  do nothing
  returning * into e;
  if not found then return jsonb_build_object('created', false); end if;
  return jsonb_build_object('created', true, 'enhancement', to_jsonb(e));
end $$;

-- Agents that look over-provisioned for their work: many finished runs, high success, a model that costs
-- noticeably per run. The cost analyst proposes a cheaper model for each (the experiment decides).
create or replace function cost_candidates(p_since timestamptz, p_min_runs integer default 30, p_min_success numeric default 0.8) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(x), '[]'::jsonb) from (
    select jsonb_build_object('agent_id', a.agent_id, 'version', a.version, 'model', a.model, 'runs', s.runs, 'success_rate', s.success,
                              'cost_per_run', s.cost_per_run) as x
      from agent_configs a
      join lateral (
        select count(*) as runs, avg((r.status = 'succeeded')::int) as success, avg(r.cost_usd) as cost_per_run
          from runs r
         where r.started_at >= p_since and r.kind = 'message' and r.status <> 'running'
           and r.agent_versions @> jsonb_build_array(jsonb_build_object('agent_id', a.agent_id, 'version', a.version))) s on true
     where a.status = 'current' and s.runs >= p_min_runs and s.success >= p_min_success and s.cost_per_run > 0
  ) c
$$;

-- ---------------------------------------------------------------------------------------------------
-- The learning side of /metrics: what the analysts and experiments cost and did, and the caller's own budgets.
create or replace function metrics_learning(p_workspace_id text, p_hours integer default null, p_user_id text default null) returns jsonb
language sql stable as $$
  with since as (select case when p_hours is null then '-infinity'::timestamptz else now() - make_interval(hours => p_hours) end as t)
  select jsonb_build_object(
    'learning_cost_usd', (select coalesce(sum(cost_usd), 0) from runs, since where kind = 'analyst' and started_at >= since.t),
    'learning_runs', (select count(*) from runs, since where kind = 'analyst' and started_at >= since.t),
    'analyst_runs', analyst_runs_latest(20),
    'user_budgets', (select coalesce(jsonb_agg(budget_view(b) order by b.period), '[]'::jsonb) from budgets b
                      where p_user_id is not null and b.scope = 'user' and b.scope_id = p_user_id),
    'proposals_open', (select count(*) from enhancements where status in ('proposed', 'screening', 'testing')))
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 7) $$;

select app_restrict_functions(array['budget_period_start', 'budget_period_end', 'budget_spent', 'budget_view', 'budget_set', 'budget_remove',
  'budget_list', 'budget_status', 'budget_alert_claim', 'budget_alerts_due', 'spend_report', 'enhancement_propose', 'cost_candidates',
  'metrics_learning', 'app_schema_version']);
