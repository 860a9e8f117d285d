-- Analysts on a schedule, part 3: recurring requests into patterns and induced workflows, capability gaps, agent
-- performance against peers, anomalies against the trailing week, and the daily digest. Outcomes of runs are
-- stored here too (the improvement loop sets them): a run's outcome is final once its correction window passed.

-- ---------------------------------------------------------------------------------------------------
-- Outcomes: failed | corrected | accepted, and a score; set by the improvement loop, read by the analysts.
alter table runs add column if not exists outcome text check (outcome is null or outcome in ('failed', 'corrected', 'accepted'));
alter table runs add column if not exists outcome_at timestamptz;
alter table runs add column if not exists score numeric(4,3);
create index if not exists runs_outcome_pending on runs (finished_at) where outcome is null and finished_at is not null;

-- ---------------------------------------------------------------------------------------------------
-- An hourly rollup of finished runs per agent version, built incrementally (a watermark on finished_at, lagging
-- the correction window so a run is counted once its outcome is final). Latency in fixed buckets, so p95 can
-- be read back without the raw runs: bucket i holds latencies up to 2^i * 100 ms (the last is unbounded).
create table if not exists run_stats_hourly (
  hour            timestamptz not null,
  workspace_id    text not null,
  agent_ref       text not null,          -- "agent@version", or '-' for runs no agent served
  runs            integer not null default 0,
  succeeded       integer not null default 0,
  failed          integer not null default 0,
  corrected       integer not null default 0,
  accepted        integer not null default 0,
  cost_usd        numeric(14,6) not null default 0,
  latency_sum_ms  bigint not null default 0,
  latency_buckets integer[] not null default array_fill(0, array[12]),
  ratings         integer not null default 0,
  rating_sum      integer not null default 0,
  primary key (hour, workspace_id, agent_ref)
);
alter table run_stats_hourly enable row level security;

create or replace function latency_bucket(p_ms integer) returns integer
language sql immutable as $$
  select least(12, greatest(1, ceil(log(2, greatest(coalesce(p_ms, 0), 1)::numeric / 100)) + 1))::integer
$$;

-- The latency below which a share of the runs fell, read from bucket counts (an upper bound of the bucket).
create or replace function latency_from_buckets(p_buckets integer[], p_quantile numeric) returns integer
language plpgsql immutable as $$
declare
  total integer := 0;
  seen integer := 0;
  i integer;
begin
  for i in 1 .. coalesce(array_length(p_buckets, 1), 0) loop total := total + p_buckets[i]; end loop;
  if total = 0 then return null; end if;
  for i in 1 .. array_length(p_buckets, 1) loop
    seen := seen + p_buckets[i];
    if seen >= ceil(total * p_quantile) then return (100 * 2 ^ (i - 1))::integer; end if;
  end loop;
  return null;
end $$;

create or replace function array_add(a integer[], b integer[]) returns integer[]
language sql immutable as $$
  select array(select coalesce(a[i], 0) + coalesce(b[i], 0) from generate_series(1, greatest(coalesce(array_length(a, 1), 0), coalesce(array_length(b, 1), 0))) i)
$$;

-- Element-wise sum of integer arrays (latency buckets) across rows.
create or replace aggregate int_array_sum(integer[]) (sfunc = array_add, stype = integer[], initcond = '{}');

-- Folds runs finished up to (now - p_settle_seconds) into the rollup, once each. Returns how many were read.
create or replace function rollup_runs(p_settle_seconds integer default 600, p_batch integer default 200000) returns integer
language plpgsql as $$
declare
  w analyst_watermarks;
  v_rows integer;
  v_last timestamptz;
begin
  insert into analyst_watermarks (analyst) values ('rollup') on conflict do nothing;
  select * into w from analyst_watermarks where analyst = 'rollup' for update;
  with batch as (
    select r.*, coalesce((select e->>'agent_id' || '@' || (e->>'version') from jsonb_array_elements(r.agent_versions) e limit 1), '-') as agent_ref
      from runs r
     where r.finished_at > w.last_finished_at and r.finished_at <= now() - make_interval(secs => p_settle_seconds)
       and r.kind in ('message', 'goal', 'workflow')
     order by r.finished_at limit p_batch
  ), rated as (
    select f.run_id, count(f.rating) as n, coalesce(sum(f.rating), 0) as s from feedback f join batch b on b.id = f.run_id group by f.run_id
  ), per_hour as (
    select date_trunc('hour', b.started_at) as hour, b.workspace_id, b.agent_ref,
           count(*) as runs, count(*) filter (where b.status = 'succeeded') as succeeded, count(*) filter (where b.status = 'failed') as failed,
           count(*) filter (where b.outcome = 'corrected') as corrected, count(*) filter (where b.outcome = 'accepted') as accepted,
           coalesce(sum(b.cost_usd), 0) as cost_usd, coalesce(sum(b.latency_ms), 0) as latency_sum_ms,
           array[count(*) filter (where latency_bucket(b.latency_ms) = 1), count(*) filter (where latency_bucket(b.latency_ms) = 2), count(*) filter (where latency_bucket(b.latency_ms) = 3), count(*) filter (where latency_bucket(b.latency_ms) = 4), count(*) filter (where latency_bucket(b.latency_ms) = 5), count(*) filter (where latency_bucket(b.latency_ms) = 6), count(*) filter (where latency_bucket(b.latency_ms) = 7), count(*) filter (where latency_bucket(b.latency_ms) = 8), count(*) filter (where latency_bucket(b.latency_ms) = 9), count(*) filter (where latency_bucket(b.latency_ms) = 10), count(*) filter (where latency_bucket(b.latency_ms) = 11), count(*) filter (where latency_bucket(b.latency_ms) = 12)]::integer[] as buckets,
           coalesce(sum(rated.n), 0) as ratings, coalesce(sum(rated.s), 0) as rating_sum
      from batch b left join rated on rated.run_id = b.id
     group by 1, 2, 3
  ), folded as (
    insert into run_stats_hourly as h (hour, workspace_id, agent_ref, runs, succeeded, failed, corrected, accepted, cost_usd, latency_sum_ms,
                                       latency_buckets, ratings, rating_sum)
    select hour, workspace_id, agent_ref, runs, succeeded, failed, corrected, accepted, cost_usd, latency_sum_ms, buckets, ratings, rating_sum from per_hour
    on conflict (hour, workspace_id, agent_ref) do update set
      runs = h.runs + excluded.runs, succeeded = h.succeeded + excluded.succeeded, failed = h.failed + excluded.failed,
      corrected = h.corrected + excluded.corrected, accepted = h.accepted + excluded.accepted, cost_usd = h.cost_usd + excluded.cost_usd,
      latency_sum_ms = h.latency_sum_ms + excluded.latency_sum_ms, latency_buckets = array_add(h.latency_buckets, excluded.latency_buckets),
      ratings = h.ratings + excluded.ratings, rating_sum = h.rating_sum + excluded.rating_sum
    returning 1)
  select (select count(*) from batch), (select max(finished_at) from batch), (select count(*) from folded) into v_rows, v_last;
  if v_last is not null then update analyst_watermarks set last_finished_at = v_last, updated_at = now() where analyst = 'rollup'; end if;
  return v_rows;
end $$;

-- The rollup step of an analyst pass, refused when the caller's lease generation is stale.
create or replace function analyst_rollup(p_job text, p_generation bigint, p_settle_seconds integer default 600) returns jsonb
language plpgsql as $$
begin
  if not job_hold(p_job, p_generation) then return jsonb_build_object('ok', false, 'reason', 'stale_generation'); end if;
  return jsonb_build_object('ok', true, 'rows_read', rollup_runs(p_settle_seconds));
end $$;

-- ---------------------------------------------------------------------------------------------------
-- Patterns: recurring requests grouped by a normalised signature — the request's distinct stemmed content words
-- (PostgreSQL's English text search: stopwords dropped, "reports" = "report"), so rephrasings that say the same
-- things meet. Goals are grouped by their request too; their plans are what an induced workflow replays.
alter table patterns add column if not exists goal_runs integer not null default 0;
alter table patterns add column if not exists goal_successes integer not null default 0;
alter table patterns add column if not exists ratings integer not null default 0;
alter table patterns add column if not exists rating_sum integer not null default 0;
alter table patterns add column if not exists agents jsonb not null default '{}';
alter table patterns add column if not exists examples text[] not null default '{}';
alter table patterns add column if not exists gap_handled_at timestamptz;

create or replace function request_signature(p_text text) returns text
language sql immutable as $$
  select left(coalesce(string_agg(lexeme, ' ' order by lexeme), ''), 300)
    from (select distinct lexeme from unnest(to_tsvector('english', regexp_replace(coalesce(p_text, ''), '^\s*(plan|goal)\s*:\s*', '', 'i'))) limit 16) w
$$;

create or replace function pattern_strength(p_occurrences integer, p_success numeric, p_thresholds integer[], p_min_success numeric) returns text
language sql immutable as $$
  select case
    when p_occurrences >= p_thresholds[4] and p_success >= p_min_success then 'very_strong'
    when p_occurrences >= p_thresholds[3] and p_success >= p_min_success then 'strong'
    when p_occurrences >= p_thresholds[2] then 'moderate'
    when p_occurrences >= p_thresholds[1] then 'weak'
    else null end
$$;

-- The workflow analyst's pass: new finished runs into patterns (counts, successes, ratings, which agents served
-- them, recent examples), strengths updated; returns recurring successful goals without a workflow (to induce
-- one from their latest successful plan) and capability gaps not handled yet.
create or replace function analyst_workflows(p_job text, p_generation bigint, p_thresholds jsonb default '[3,5,8,15]',
  p_min_success numeric default 0.7, p_batch integer default 200000, p_settle_seconds integer default 1) returns jsonb
language plpgsql as $$
declare
  v_t integer[] := array(select jsonb_array_elements_text(coalesce(p_thresholds, '[3,5,8,15]'))::integer);
  w analyst_watermarks;
  v_rows integer;
  v_last timestamptz;
  v_touched integer;
  v_induce jsonb;
  v_gaps jsonb;
begin
  if not job_hold(p_job, p_generation) then return jsonb_build_object('ok', false, 'reason', 'stale_generation'); end if;
  insert into analyst_watermarks (analyst) values ('workflows') on conflict do nothing;
  select * into w from analyst_watermarks where analyst = 'workflows' for update;
  with batch as (
    select r.id, r.workspace_id, r.request_text, r.status, r.kind, r.finished_at, r.agent_ids, request_signature(r.request_text) as signature
      from runs r
     where r.finished_at > w.last_finished_at and r.finished_at <= now() - make_interval(secs => p_settle_seconds)
       and r.kind in ('message', 'goal', 'workflow') and r.request_text <> ''
     order by r.finished_at limit p_batch
  ), rated as (
    select f.run_id, count(f.rating) as n, coalesce(sum(f.rating), 0) as s from feedback f join batch b on b.id = f.run_id group by f.run_id
  ), grouped as (
    select b.workspace_id, b.signature, count(*) as n, count(*) filter (where b.status = 'succeeded') as ok,
           count(*) filter (where b.kind = 'goal') as goals, count(*) filter (where b.kind = 'goal' and b.status = 'succeeded') as goals_ok,
           coalesce(sum(rated.n), 0) as ratings, coalesce(sum(rated.s), 0) as rating_sum,
           (array_agg(b.request_text order by b.finished_at desc))[1:5] as examples, min(b.finished_at) as first_at, max(b.finished_at) as last_at,
           (select coalesce(jsonb_object_agg(a, c), '{}'::jsonb) from (select a, count(*) as c from batch b2, unnest(b2.agent_ids) a
             where b2.workspace_id = b.workspace_id and b2.signature = b.signature group by a) ag) as agents
      from batch b left join rated on rated.run_id = b.id
     where b.signature <> ''
     group by b.workspace_id, b.signature
  ), upserted as (
    insert into patterns as p (workspace_id, signature, example, occurrences, successes, goal_runs, goal_successes, ratings, rating_sum, agents,
                               examples, first_seen, last_seen)
    select workspace_id, signature, left(examples[1], 1000), n, ok, goals, goals_ok, ratings, rating_sum, agents,
           array(select left(x, 1000) from unnest(examples) x), first_at, last_at from grouped
    on conflict (workspace_id, signature) do update set
      occurrences = p.occurrences + excluded.occurrences, successes = p.successes + excluded.successes,
      goal_runs = p.goal_runs + excluded.goal_runs, goal_successes = p.goal_successes + excluded.goal_successes,
      ratings = p.ratings + excluded.ratings, rating_sum = p.rating_sum + excluded.rating_sum,
      agents = (select jsonb_object_agg(k, coalesce((p.agents->>k)::int, 0) + coalesce((excluded.agents->>k)::int, 0))
                  from (select jsonb_object_keys(p.agents) k union select jsonb_object_keys(excluded.agents)) keys),
      examples = (array(select distinct x from unnest(excluded.examples || p.examples) x limit 5)),
      example = excluded.example, last_seen = greatest(p.last_seen, excluded.last_seen)
    returning 1)
  select (select count(*) from batch), (select max(finished_at) from batch), (select count(*) from upserted) into v_rows, v_last, v_touched;
  update patterns set strength = pattern_strength(occurrences, successes::numeric / nullif(occurrences, 0), v_t, p_min_success),
                      avg_rating = case when ratings > 0 then round(rating_sum::numeric / ratings, 2) end
   where last_seen >= coalesce(w.last_finished_at, '-infinity');
  if v_last is not null then update analyst_watermarks set last_finished_at = v_last, updated_at = now() where analyst = 'workflows'; end if;

  -- Recurring goals that succeed: the latest successful plan of each, to be induced as a candidate workflow.
  select coalesce(jsonb_agg(jsonb_build_object('pattern_id', p.id, 'workspace_id', p.workspace_id, 'signature', p.signature,
                                               'examples', to_jsonb(p.examples), 'occurrences', p.occurrences, 'goal_runs', p.goal_runs,
                                               'success_rate', round(p.goal_successes::numeric / nullif(p.goal_runs, 0), 3), 'plan', plan.plan)), '[]'::jsonb)
    into v_induce
    from patterns p
    -- The plan people were happy with: an accepted outcome first (not merely a run that finished), then the latest.
    join lateral (select g.plan from goals g join runs r on r.id = g.run_id
                   where r.workspace_id = p.workspace_id and r.kind = 'goal' and r.status = 'succeeded' and g.plan is not null
                     and coalesce(r.outcome, 'accepted') <> 'corrected' and request_signature(r.request_text) = p.signature
                   order by (r.outcome = 'accepted') desc nulls last, r.score desc nulls last, r.finished_at desc limit 1) plan on true
   where p.workflow_id is null and p.strength in ('strong', 'very_strong') and p.goal_runs >= v_t[1]
     and p.goal_successes::numeric / nullif(p.goal_runs, 0) >= p_min_success;

  -- Gaps: recurring requests that go badly (success or ratings low) or that only the general assistant serves.
  select coalesce(jsonb_agg(jsonb_build_object('pattern_id', p.id, 'workspace_id', p.workspace_id, 'signature', p.signature,
                                               'examples', to_jsonb(p.examples), 'occurrences', p.occurrences,
                                               'success_rate', round(p.successes::numeric / nullif(p.occurrences, 0), 3), 'avg_rating', p.avg_rating,
                                               'agents', p.agents,
                                               'why', case when p.successes::numeric / nullif(p.occurrences, 0) < 0.6 then 'low_success'
                                                           when p.avg_rating < 3 then 'low_rating' else 'general_only' end)), '[]'::jsonb)
    into v_gaps
    from patterns p
   where p.gap_handled_at is null and p.goal_runs = 0 and p.occurrences >= v_t[2]
     and (p.successes::numeric / nullif(p.occurrences, 0) < 0.6 or p.avg_rating < 3
          or (select array_agg(k) from jsonb_object_keys(p.agents) k) = array['general']);
  return jsonb_build_object('ok', true, 'rows_read', v_rows, 'patterns', v_touched, 'induce', v_induce, 'gaps', v_gaps);
end $$;

create or replace function pattern_mark(p_pattern_id uuid, p_workflow_id uuid default null, p_gap_handled boolean default false) returns jsonb
language sql as $$
  update patterns set workflow_id = coalesce(p_workflow_id, workflow_id),
                      gap_handled_at = case when p_gap_handled then coalesce(gap_handled_at, now()) else gap_handled_at end
   where id = p_pattern_id
  returning jsonb_build_object('id', id, 'workflow_id', workflow_id, 'gap_handled_at', gap_handled_at)
$$;

-- ---------------------------------------------------------------------------------------------------
-- Agent performance over the rollup: each agent version against all runs (its peers) in the window.
create or replace function agent_performance(p_since timestamptz, p_min_runs integer default 20) returns jsonb
language sql stable as $$
  with per_agent as (
    select agent_ref, sum(runs) as runs, sum(succeeded) as succeeded, sum(corrected) as corrected, sum(cost_usd) as cost_usd,
           sum(latency_sum_ms) as latency_sum_ms, sum(ratings) as ratings, sum(rating_sum) as rating_sum,
           int_array_sum(latency_buckets) as buckets
      from run_stats_hourly h where hour >= p_since and agent_ref <> '-' group by agent_ref
  ), overall as (
    select sum(runs) as runs, sum(succeeded) as succeeded, sum(corrected) as corrected, sum(cost_usd) as cost_usd, sum(ratings) as ratings,
           sum(rating_sum) as rating_sum from per_agent
  )
  select jsonb_build_object(
    'overall', (select jsonb_build_object('runs', runs, 'success_rate', round(succeeded::numeric / nullif(runs, 0), 4),
                                          'corrected_rate', round(corrected::numeric / nullif(runs, 0), 4),
                                          'avg_rating', round(rating_sum::numeric / nullif(ratings, 0), 2)) from overall),
    'agents', coalesce((select jsonb_agg(jsonb_build_object(
        'agent_id', split_part(agent_ref, '@', 1), 'version', split_part(agent_ref, '@', 2)::int, 'runs', runs,
        'success_rate', round(succeeded::numeric / nullif(runs, 0), 4), 'corrected_rate', round(corrected::numeric / nullif(runs, 0), 4),
        'cost_per_run', round(cost_usd / nullif(runs, 0), 6), 'avg_latency_ms', round(latency_sum_ms::numeric / nullif(runs, 0)),
        'p95_ms', latency_from_buckets(buckets, 0.95), 'avg_rating', round(rating_sum::numeric / nullif(ratings, 0), 2), 'ratings', ratings)
        order by runs desc) from per_agent where runs >= p_min_runs), '[]'::jsonb))
$$;

-- The worst-rated recent answers of an agent with what people said: the material of a prompt revision.
create or replace function agent_complaints(p_agent_id text, p_since timestamptz, p_limit integer default 10) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(x), '[]'::jsonb) from (
    select jsonb_build_object('run_id', r.id, 'request', left(r.request_text, 500), 'rating', f.rating, 'comment', left(f.text, 500),
                              'outcome', r.outcome) as x
      from runs r join feedback f on f.run_id = r.id
     where p_agent_id = any(r.agent_ids) and r.started_at >= p_since and (f.rating <= 2 or f.category is not null)
     order by f.created_at desc limit greatest(coalesce(p_limit, 10), 1)) c
$$;

-- ---------------------------------------------------------------------------------------------------
-- Anomalies: the last hour against the trailing week, per agent and overall; one open episode per (scope, metric).
create table if not exists anomalies (
  id          bigint generated always as identity primary key,
  scope       text not null,              -- '*' overall, or "agent@version"
  metric      text not null check (metric in ('error_rate', 'p95_latency', 'cost_per_run', 'correction_rate')),
  opened_at   timestamptz not null default now(),
  closed_at   timestamptz,
  baseline    numeric,
  observed    numeric,
  runs        integer,
  example_run_ids uuid[] not null default '{}'
);
create unique index if not exists anomalies_open on anomalies (scope, metric) where closed_at is null;
alter table anomalies enable row level security;

-- Opens an episode for each metric beyond its bound (returned, to alert once) and closes those back within it.
create or replace function analyst_anomalies(p_job text, p_generation bigint, p_factor numeric default 2, p_min_runs integer default 10) returns jsonb
language plpgsql as $$
declare
  v_opened jsonb;
  v_closed integer;
begin
  if not job_hold(p_job, p_generation) then return jsonb_build_object('ok', false, 'reason', 'stale_generation'); end if;
  with latest as (select max(hour) as h from run_stats_hourly),
  base as (
    select h.*, case when h.hour >= l.h then 'last' else 'week' end as w
      from run_stats_hourly h, latest l where h.hour >= l.h - interval '7 days' and h.agent_ref <> '-'
  ), scoped as (
    select w, agent_ref as scope, runs, failed, corrected, cost_usd, latency_buckets from base
    union all
    select w, '*', runs, failed, corrected, cost_usd, latency_buckets from base
  ), windows as (
    select w, scope, sum(runs) as runs, sum(failed) as failed, sum(corrected) as corrected, sum(cost_usd) as cost_usd,
           int_array_sum(latency_buckets) as buckets
      from scoped group by w, scope
  ), metrics as (
    select l.scope, m.metric, m.observed, m.baseline, l.runs::integer as runs, m.floor
      from windows l join windows wk on wk.scope = l.scope and wk.w = 'week'
     cross join lateral (values
        ('error_rate', l.failed::numeric / nullif(l.runs, 0), wk.failed::numeric / nullif(wk.runs, 0), 0.05),
        ('correction_rate', l.corrected::numeric / nullif(l.runs, 0), wk.corrected::numeric / nullif(wk.runs, 0), 0.05),
        ('cost_per_run', l.cost_usd / nullif(l.runs, 0), wk.cost_usd / nullif(wk.runs, 0), 0),
        ('p95_latency', latency_from_buckets(l.buckets, 0.95)::numeric, latency_from_buckets(wk.buckets, 0.95)::numeric, 1000)) m(metric, observed, baseline, floor)
     where l.w = 'last' and l.runs >= p_min_runs and m.observed is not null
  ), opened as (
    insert into anomalies (scope, metric, baseline, observed, runs, example_run_ids)
    select n.scope, n.metric, n.baseline, n.observed, n.runs,
           array(select r.id from runs r where r.finished_at >= now() - interval '3 hours'
                   and (n.scope = '*' or r.agent_versions @> jsonb_build_array(jsonb_build_object('agent_id', split_part(n.scope, '@', 1),
                                                                                                 'version', split_part(n.scope, '@', 2)::int)))
                   and case n.metric when 'error_rate' then r.status = 'failed' when 'correction_rate' then r.outcome = 'corrected' else true end
                 order by r.finished_at desc limit 3)
      from metrics n
     where n.observed > greatest(coalesce(n.baseline, 0) * p_factor, n.floor)
    on conflict (scope, metric) where closed_at is null do nothing
    returning jsonb_build_object('scope', scope, 'metric', metric, 'baseline', baseline, 'observed', observed, 'runs', runs,
                                 'example_run_ids', to_jsonb(example_run_ids)) as x
  ), closed as (
    update anomalies a set closed_at = now()
      from metrics n
     where a.closed_at is null and a.scope = n.scope and a.metric = n.metric and n.observed <= greatest(coalesce(n.baseline, 0) * p_factor, n.floor)
    returning 1)
  select (select coalesce(jsonb_agg(x), '[]'::jsonb) from opened), (select count(*) from closed) into v_opened, v_closed;
  return jsonb_build_object('ok', true, 'opened', v_opened, 'closed', v_closed);
end $$;

-- ---------------------------------------------------------------------------------------------------
-- The daily digest: what the assistant did and learned since a time, in figures.
create or replace function digest_report(p_since timestamptz) returns jsonb
language sql stable as $$
  with r as (select * from runs where started_at >= p_since and kind in ('message', 'goal', 'workflow'))
  select jsonb_build_object(
    'runs', (select count(*) from r),
    'succeeded', (select count(*) from r where status = 'succeeded'),
    'finished', (select count(*) from r where status <> 'running'),
    'p50_ms', (select percentile_cont(0.5) within group (order by latency_ms) from r where status <> 'running'),
    'p95_ms', (select percentile_cont(0.95) within group (order by latency_ms) from r where status <> 'running'),
    'cost_usd', (select coalesce(sum(cost_usd), 0) from r),
    'learning_cost_usd', (select coalesce(sum(cost_usd), 0) from runs where started_at >= p_since and kind = 'analyst'),
    'budgets', budget_list(),
    'new_patterns', (select coalesce(jsonb_agg(jsonb_build_object('example', example, 'occurrences', occurrences, 'strength', strength)
                                               order by occurrences desc), '[]'::jsonb)
                       from (select * from patterns where first_seen >= p_since and strength is not null order by occurrences desc limit 5) p),
    'new_workflows', (select coalesce(jsonb_agg(jsonb_build_object('name', name, 'kind', kind, 'status', status)), '[]'::jsonb)
                        from workflows where created_at >= p_since),
    'errors', (select coalesce(jsonb_agg(jsonb_build_object('error_class', error_class, 'count', n) order by n desc), '[]'::jsonb)
                 from (select error_class, count(*) as n from r where error_class is not null group by error_class order by count(*) desc limit 5) e),
    'recoveries', (select coalesce(jsonb_agg(jsonb_build_object('strategy', name, 'tried', n, 'worked', ok)), '[]'::jsonb)
                     from (select s.name, count(*) as n, count(*) filter (where s.status = 'ok') as ok
                             from run_steps s join r on r.id = s.run_id where s.kind = 'recovery' group by s.name) x),
    'proposals', (select count(*) from enhancements where created_at >= p_since),
    'anomalies', (select count(*) from anomalies where opened_at >= p_since))
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 8) $$;

select app_restrict_functions(array['latency_bucket', 'latency_from_buckets', 'array_add', 'int_array_sum', 'rollup_runs', 'analyst_rollup', 'request_signature', 'pattern_strength',
  'analyst_workflows', 'pattern_mark', 'agent_performance', 'agent_complaints', 'analyst_anomalies', 'digest_report', 'app_schema_version']);
