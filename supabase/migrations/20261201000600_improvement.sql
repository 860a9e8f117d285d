-- Self-improvement, part 1: an outcome and a score for every answered run (implicit signals first, ratings
-- refine them), the answer text (what a cached answer and a judge read), experiments' per-arm statistics and
-- decisions, and the response cache.

alter table runs add column if not exists answer_text text;
alter table runs add column if not exists outcome_source text;   -- failure | correction | feedback | window
create index if not exists runs_thread_user on runs (workspace_id, channel_id, thread_ts, user_id, started_at desc) where thread_ts is not null;

-- Learning settings the app writes at start (score weights), so SQL computes scores the same way everywhere.
create table if not exists app_settings (
  key        text primary key,
  value      jsonb not null,
  updated_at timestamptz not null default now()
);
alter table app_settings enable row level security;

create or replace function app_setting_put(p_key text, p_value jsonb) returns jsonb
language sql as $$
  insert into app_settings (key, value) values (p_key, p_value)
  on conflict (key) do update set value = excluded.value, updated_at = now()
  returning jsonb_build_object('key', key, 'value', value)
$$;

-- A run's score in [0, 1]: outcome (accepted 1, corrected and failed 0), the latest rating ((r-1)/4), and the share of
-- its tool calls that did not fail, weighted by score_weights ({"outcome":0.6,"rating":0.3,"tools":0.1}); a part
-- the run does not have (no rating, no tools) is left out and the others' weights rescaled.
create or replace function run_score(p_run_id uuid) returns numeric
language sql stable as $$
  with w as (select coalesce((select value from app_settings where key = 'score_weights'), '{"outcome":0.6,"rating":0.3,"tools":0.1}'::jsonb) as v),
  parts as (
    select case r.outcome when 'accepted' then 1.0 when 'corrected' then 0.0 when 'failed' then 0.0 end as outcome,
           (select (f.rating - 1) / 4.0 from feedback f where f.run_id = r.id and f.rating is not null order by f.updated_at desc limit 1) as rating,
           (select 1 - avg((s.status <> 'ok')::int) from run_steps s where s.run_id = r.id and s.kind = 'tool') as tools
      from runs r where r.id = p_run_id)
  select round((coalesce(p.outcome * (w.v->>'outcome')::numeric, 0) + coalesce(p.rating * (w.v->>'rating')::numeric, 0)
                + coalesce(p.tools * (w.v->>'tools')::numeric, 0))
               / nullif((case when p.outcome is null then 0 else (w.v->>'outcome')::numeric end)
                        + (case when p.rating is null then 0 else (w.v->>'rating')::numeric end)
                        + (case when p.tools is null then 0 else (w.v->>'tools')::numeric end), 0), 3)
    from parts p, w
$$;

-- Sets a run's outcome. Explicit feedback has the last word; an implicit correction does not overwrite it, and
-- the window never overwrites anything. Failures are failures whatever is said later.
create or replace function run_set_outcome(p_run_id uuid, p_outcome text, p_source text) returns jsonb
language plpgsql as $$
declare r runs;
begin
  update runs set outcome = p_outcome, outcome_source = p_source, outcome_at = now()
   where id = p_run_id and status <> 'running'
     and (outcome is null
          or (p_source = 'feedback' and coalesce(outcome_source, '') <> 'failure')
          or (p_source = 'correction' and outcome_source = 'window'))
  returning * into r;
  if found then update runs set score = run_score(r.id) where id = r.id; end if;
  return jsonb_build_object('updated', found, 'outcome', (select outcome from runs where id = p_run_id));
end $$;

-- Ratings refine outcomes: 👎 / rating ≤ 2 corrected, 👍 / rating ≥ 4 accepted (the latest vote counts, once per
-- user and answer: feedback rows are deduplicated per user and run).
create or replace function feedback_outcome() returns trigger
language plpgsql as $$
begin
  if new.rating is not null then
    perform run_set_outcome(new.run_id, case when new.rating <= 2 then 'corrected' when new.rating >= 4 then 'accepted' else null end, 'feedback')
     where new.rating <= 2 or new.rating >= 4;
    update runs set score = run_score(id) where id = new.run_id and outcome is not null;
  end if;
  return new;
end $$;
drop trigger if exists feedback_sets_outcome on feedback;
create trigger feedback_sets_outcome after insert or update of rating on feedback for each row execute function feedback_outcome();

-- Failed runs get their outcome at once; answered runs nobody corrected within the window become accepted.
create or replace function outcomes_settle(p_window_seconds integer) returns jsonb
language plpgsql as $$
declare
  v_failed integer;
  v_accepted integer;
begin
  with f as (
    update runs set outcome = 'failed', outcome_source = 'failure', outcome_at = now(), score = 0
     where outcome is null and status in ('failed', 'interrupted') and kind in ('message', 'goal', 'workflow') and finished_at is not null
    returning 1)
  select count(*) into v_failed from f;
  -- Two statements: run_score reads the row's outcome, which a CTE update in the same statement would not show it.
  update runs set outcome = 'accepted', outcome_source = 'window', outcome_at = now()
   where outcome is null and status = 'succeeded' and kind in ('message', 'goal', 'workflow')
     and finished_at < now() - make_interval(secs => p_window_seconds);
  get diagnostics v_accepted = row_count;
  update runs set score = run_score(id) where outcome_source = 'window' and score is null and outcome = 'accepted';
  return jsonb_build_object('failed', v_failed, 'accepted', v_accepted);
end $$;

-- The same user's previous answered run in this thread (the one a rephrase or "that's wrong" would correct).
create or replace function run_previous_in_thread(p_workspace_id text, p_channel_id text, p_thread_ts text, p_user_id text, p_before uuid)
returns jsonb
language sql stable as $$
  select to_jsonb(x) from (
    select r.id, r.request_text, r.finished_at, r.outcome, r.outcome_source, r.status from runs r
     where r.workspace_id = p_workspace_id and r.channel_id = p_channel_id and r.thread_ts = p_thread_ts and r.user_id = p_user_id
       and r.id <> p_before and r.kind in ('message', 'goal', 'workflow') and r.status <> 'running'
     order by r.started_at desc limit 1) x
$$;

create or replace function run_set_answer(p_run_id uuid, p_answer_text text) returns jsonb
language sql as $$
  update runs set answer_text = left(p_answer_text, 8000) where id = p_run_id returning jsonb_build_object('id', id)
$$;

-- ---------------------------------------------------------------------------------------------------
-- Experiments: running totals per arm for the sequential test (count, sum, sum of squares), from settled runs.
create or replace function experiment_stats(p_experiment_id uuid) returns jsonb
language sql stable as $$
  select coalesce(jsonb_object_agg(arm, x), '{}'::jsonb) from (
    select experiment_arm as arm, jsonb_build_object(
      'n', count(*),
      'success', jsonb_build_object('count', count(*), 'sum', sum((outcome = 'accepted')::int), 'sumSquares', sum((outcome = 'accepted')::int)),
      'score', jsonb_build_object('count', count(score), 'sum', coalesce(sum(score), 0), 'sumSquares', coalesce(sum(score * score), 0)),
      'cost', jsonb_build_object('count', count(*), 'sum', coalesce(sum(cost_usd), 0), 'sumSquares', coalesce(sum(cost_usd * cost_usd), 0)),
      'latency', jsonb_build_object('count', count(latency_ms), 'sum', coalesce(sum(latency_ms), 0)::numeric,
                                    'sumSquares', coalesce(sum(latency_ms::numeric * latency_ms), 0))) as x
      from runs
     where experiment_id = p_experiment_id and outcome is not null and experiment_arm in ('control', 'candidate')
     group by experiment_arm) a
$$;

-- Score totals of what a promoted change serves now, since a time (the rollback watch): an agent version's direct
-- answers, a workflow's replays, or a cached agent's answers; runs in an experiment arm are left out.
create or replace function target_stats(p_kind text, p_id text, p_version integer, p_since timestamptz) returns jsonb
language sql stable as $$
  select jsonb_build_object('count', count(score), 'sum', coalesce(sum(score), 0), 'sumSquares', coalesce(sum(score * score), 0))
    from runs r
   where r.started_at >= p_since and r.score is not null and r.experiment_id is null
     and case p_kind
       when 'agent' then r.kind = 'message' and r.agent_versions @> jsonb_build_array(jsonb_build_object('agent_id', p_id, 'version', p_version))
       when 'cache' then r.kind = 'message' and r.agent_ids = array[p_id]
       when 'workflow' then r.workflow_id = p_id::uuid
       else false end
$$;

create or replace function experiment_list(p_status text default null, p_limit integer default 50) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(to_jsonb(e) || jsonb_build_object('enhancement', to_jsonb(h)) order by e.started_at desc), '[]'::jsonb)
    from (select * from experiments where p_status is null or status = p_status order by started_at desc limit greatest(coalesce(p_limit, 50), 1)) e
    left join enhancements h on h.id = e.enhancement_id
$$;

create or replace function experiment_finish(p_experiment_id uuid, p_status text, p_decision jsonb) returns jsonb
language sql as $$
  update experiments set status = p_status, decision = p_decision, ended_at = coalesce(ended_at, now())
   where id = p_experiment_id and (status = 'running' or p_status = 'rolled_back')
  returning jsonb_build_object('ok', true, 'experiment', to_jsonb(experiments))
$$;

-- Share of recent runs served by an experiment's candidate arm (the global cap on traffic under experiment).
create or replace function experiment_traffic(p_since timestamptz) returns jsonb
language sql stable as $$
  select jsonb_build_object('runs', count(*), 'candidate', count(*) filter (where experiment_arm = 'candidate'))
    from runs where started_at >= p_since and kind in ('message', 'goal', 'workflow')
$$;

-- ---------------------------------------------------------------------------------------------------
-- Enhancements through their life: proposed → screening → testing → applied | rejected | rolled_back.
create or replace function enhancement_update(
  p_enhancement_id uuid, p_status text default null, p_measured_impact jsonb default null, p_reasons text default null,
  p_experiment_id uuid default null, p_approved_by text default null, p_change jsonb default null
) returns jsonb
language sql as $$
  update enhancements set
    status = coalesce(p_status, status),
    measured_impact = coalesce(p_measured_impact, measured_impact),
    reasons = coalesce(p_reasons, reasons),
    experiment_id = coalesce(p_experiment_id, experiment_id),
    approved_by = coalesce(p_approved_by, approved_by),
    change = case when p_change is null then change else change || p_change end,
    decided_at = case when p_status in ('applied', 'rejected', 'rolled_back') then now() else decided_at end,
    updated_at = now()
   where id = p_enhancement_id
  returning to_jsonb(enhancements)
$$;

create or replace function enhancement_list(p_statuses jsonb default null, p_limit integer default 50) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(to_jsonb(e) order by e.updated_at desc), '[]'::jsonb)
    from (select * from enhancements
           where p_statuses is null or status in (select jsonb_array_elements_text(p_statuses))
           order by updated_at desc limit greatest(coalesce(p_limit, 50), 1)) e
$$;

create or replace function enhancement_get(p_enhancement_id uuid) returns jsonb
language sql stable as $$ select to_jsonb(e) from enhancements e where e.id = p_enhancement_id $$;

-- Recent answered requests of a target, with their answers and outcomes: what screening replays.
create or replace function replay_sample(p_agent_id text default null, p_workflow_signature text default null, p_since timestamptz default null,
  p_limit integer default 12) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(x), '[]'::jsonb) from (
    select jsonb_build_object('run_id', r.id, 'request', r.request_text, 'answer', r.answer_text, 'outcome', r.outcome, 'score', r.score,
                              'cost_usd', r.cost_usd, 'latency_ms', r.latency_ms, 'workspace_id', r.workspace_id) as x
      from runs r
     where r.kind in ('message', 'goal', 'workflow') and r.status = 'succeeded' and r.answer_text is not null
       and r.started_at >= coalesce(p_since, '-infinity') and r.experiment_arm is distinct from 'candidate'
       and (p_agent_id is null or r.agent_ids = array[p_agent_id])
       and (p_workflow_signature is null or request_signature(r.request_text) = p_workflow_signature)
     order by r.started_at desc limit greatest(coalesce(p_limit, 12), 1)) s
$$;

-- ---------------------------------------------------------------------------------------------------
-- The response cache: accepted answers to questions asked again. An entry belongs to one agent version (a config
-- change makes it unreachable), expires, and dies with negative feedback on its source or on any answer it gave.
create table if not exists response_cache (
  id             uuid primary key default gen_random_uuid(),
  workspace_id   text not null,
  agent_ref      text not null,            -- agent@version that produced the answer
  signature      text not null,            -- request_signature of the question
  question       text not null,
  answer_text    text not null,
  source_run_id  uuid references runs(id) on delete cascade,
  hits           integer not null default 0,
  created_at     timestamptz not null default now(),
  expires_at     timestamptz not null,
  invalidated_at timestamptz,
  invalidated_why text
);
create unique index if not exists response_cache_key on response_cache (workspace_id, agent_ref, signature) where invalidated_at is null;
alter table response_cache enable row level security;
alter table runs add column if not exists cache_entry_id uuid;

-- The entry for this question, if any: the question's signature (request_signature) must be the cached one's.
create or replace function cache_lookup(p_workspace_id text, p_agent_ref text, p_question text) returns jsonb
language sql stable as $$
  select to_jsonb(c) from response_cache c
   where c.workspace_id = p_workspace_id and c.agent_ref = p_agent_ref and c.signature = request_signature(p_question)
     and c.signature <> '' and c.invalidated_at is null and c.expires_at > now()
$$;

-- Caches the accepted answers of the given agent versions finished since a time (answers to new conversations only:
-- an answer that leaned on thread history is not an answer to the question alone).
create or replace function cache_fill(p_agent_refs jsonb, p_since timestamptz, p_ttl_seconds integer) returns jsonb
language sql as $$
  with candidates as (
    select distinct on (r.workspace_id, e.ref, request_signature(r.request_text)) r.*, e.ref
      from runs r, jsonb_array_elements_text(p_agent_refs) e(ref)
     where r.finished_at >= p_since and r.outcome = 'accepted' and r.answer_text is not null and r.kind = 'message'
       and r.cache_entry_id is null and (r.thread_ts is null or r.thread_ts = r.message_ts)
       and r.agent_versions @> jsonb_build_array(jsonb_build_object('agent_id', split_part(e.ref, '@', 1), 'version', split_part(e.ref, '@', 2)::int))
       and request_signature(r.request_text) <> ''
     order by r.workspace_id, e.ref, request_signature(r.request_text), r.finished_at desc
  ), stored as (
    insert into response_cache (workspace_id, agent_ref, signature, question, answer_text, source_run_id, expires_at)
    select workspace_id, ref, request_signature(request_text), left(request_text, 4000), answer_text, id, now() + make_interval(secs => p_ttl_seconds)
      from candidates
    on conflict (workspace_id, agent_ref, signature) where invalidated_at is null do nothing
    returning 1)
  select jsonb_build_object('stored', (select count(*) from stored))
$$;

create or replace function cache_hit(p_entry_id uuid, p_run_id uuid) returns jsonb
language sql as $$
  with h as (update response_cache set hits = hits + 1 where id = p_entry_id returning id)
  update runs set cache_entry_id = p_entry_id where id = p_run_id returning jsonb_build_object('ok', exists (select 1 from h))
$$;

-- Negative feedback or a correction on a cached answer, or on the answer it came from, kills the entry.
create or replace function cache_invalidate_run() returns trigger
language plpgsql as $$
begin
  if new.outcome = 'corrected' and (old.outcome is distinct from new.outcome) then
    update response_cache set invalidated_at = now(), invalidated_why = 'corrected'
     where invalidated_at is null and (source_run_id = new.id or id = new.cache_entry_id);
  end if;
  return new;
end $$;
drop trigger if exists runs_invalidate_cache on runs;
create trigger runs_invalidate_cache after update of outcome on runs for each row execute function cache_invalidate_run();

-- Specialists that keep getting the same questions and answer them well: candidates for the response cache.
create or replace function cache_candidates(p_min_occurrences integer default 5, p_min_success numeric default 0.8) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object('agent_id', agent_id, 'patterns', n, 'occurrences', occ)), '[]'::jsonb) from (
    select a.key as agent_id, count(*) as n, sum(p.occurrences) as occ
      from patterns p, jsonb_each_text(p.agents) a
     where p.goal_runs = 0 and p.occurrences >= p_min_occurrences and p.successes::numeric / nullif(p.occurrences, 0) >= p_min_success
       and a.value::int * 2 >= p.occurrences
       and exists (select 1 from agent_configs c where c.agent_id = a.key and c.status = 'current')
     group by a.key) x
$$;

-- /metrics: requests refused because no model is configured are not failures of the assistant (a newcomer's
-- first tries would spoil the success rate the loop learns from); they are counted apart. Otherwise as before.
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
       and not (x.status = 'refused' and x.error_class = 'MODEL_NOT_CONFIGURED')
  ), unconfigured as (
    select count(*) as n from runs x, bounds b
     where x.workspace_id = p_workspace_id and x.started_at >= b.since and x.kind in ('message', 'goal', 'workflow')
       and x.status = 'refused' and x.error_class = 'MODEL_NOT_CONFIGURED' and p_agent_id is null
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
      'runs', t.runs, 'finished', t.finished, 'succeeded', t.succeeded, 'not_configured', unconfigured.n,
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
    from totals t, fb, agents, errors, pats, improvements, budget, daily, unconfigured
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 9) $$;

select app_restrict_functions(array['app_setting_put', 'run_score', 'run_set_outcome', 'outcomes_settle', 'run_previous_in_thread',
  'run_set_answer', 'experiment_stats', 'target_stats', 'experiment_list', 'experiment_finish', 'experiment_traffic', 'enhancement_update', 'enhancement_list',
  'enhancement_get', 'replay_sample', 'cache_lookup', 'cache_fill', 'cache_hit', 'cache_candidates', 'app_schema_version']);
