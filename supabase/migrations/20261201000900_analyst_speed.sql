-- Analyst speed (issue #18): the changes bench:analysts found (docs/PERFORMANCE.md, "Analysts"). Each keeps the
-- results of the function it replaces (same rows, same figures; checked by bench/analysts-lib/compare-fixes.ts
-- against the previous release's functions); only the cost changes. As shipped before, a full pass over 1M runs
-- did not finish (analyst_workflows was quadratic in its batch, latency_bucket cost 44-53 s per rollup batch).
--
-- Upgrade cost: the two stored columns below rewrite runs once (ALTER TABLE ... ADD COLUMN ... STORED computes them
-- for every existing row, under an exclusive lock): 41-50 s at 1M runs on a 2-core machine, 5-9 s at 100k
-- (`npm run bench:analysts -- --upgrade-from=20261201000900_analyst_speed.sql`; docs/PERFORMANCE.md, "Analysts").

-- 1. latency_bucket: the numeric log(2, x) cost ~13 µs a call, and the rollup calls it 12 times per run (one
--    count(*) filter per bucket): 44-53 s per 200k-run batch. The same buckets from integer thresholds:
--    bucket i holds latencies up to 2^(i-1) * 100 ms, i.e. 1 + the number of thresholds 100, 200, ... 102400 that
--    the latency exceeds (checked equal to the original on every run of a 200k-run log).
create or replace function latency_bucket(p_ms integer) returns integer
language sql immutable as $$
  select 1 + width_bucket(coalesce(p_ms, 0), array[101, 201, 401, 801, 1601, 3201, 6401, 12801, 25601, 51201, 102401])
$$;

-- 2. Derived text computed once, when the run is written, instead of on every analyst read: the request's
--    signature (to_tsvector, ~17 µs a run: 17 s of every full pass over 1M runs) and the error's normalised
--    message (three regexp_replace, ~15 µs, computed twice per failed run by analyst_errors). Stored generated
--    columns: always equal to the functions' results, no code path can forget them. One table rewrite when
--    the migration runs (timed by the bench as "applied in"). The stored values are those of request_signature and
--    error_normalise when the row was written: a later change to either function must drop and re-add its column
--    (another rewrite), or old and new runs would carry different signatures for the same text.
alter table runs add column if not exists request_sig text generated always as (request_signature(request_text)) stored,
               add column if not exists error_pattern text generated always as (case when error_message is not null then error_normalise(error_message) end) stored;
-- The workflow analyst's induction looks up the latest successful goal run of a pattern by its signature.
create index if not exists runs_goal_signature on runs (workspace_id, request_sig, finished_at desc) where kind = 'goal' and status = 'succeeded';
-- Steps by time: the spend report and the digest join the steps of the last day's runs; without it the planner
-- reads all of run_steps (1.6M rows at 1M runs) on each call.
create index if not exists run_steps_created on run_steps (created_at);

-- 3. analyst_errors: the stored pattern; the signature computed per group (error_signature's own formula) instead
--    of re-normalising every message.
create or replace function analyst_errors(p_job text, p_generation bigint, p_min_occurrences integer default 5, p_batch integer default 100000,
  p_settle_seconds integer default 1)
returns jsonb
language plpgsql as $$
declare
  w analyst_watermarks;
  v_rows integer;
  v_last timestamptz;
  v_touched integer;
  v_raise jsonb;
begin
  if not job_hold(p_job, p_generation) then return jsonb_build_object('ok', false, 'reason', 'stale_generation'); end if;
  insert into analyst_watermarks (analyst) values ('errors') on conflict do nothing;
  select * into w from analyst_watermarks where analyst = 'errors' for update;
  with batch as (
    select r.id, r.finished_at, r.error_class, r.error_message, r.error_pattern as pattern,
           r.agent_ids[1] as agent_id, r.models[1] as model
      from runs r
     where r.finished_at > w.last_finished_at and r.finished_at <= now() - make_interval(secs => p_settle_seconds)
       and r.status = 'failed' and r.error_class is not null and r.kind <> 'analyst'
     order by r.finished_at limit p_batch
  ), grouped as (
    select error_class || ':' || left(md5(error_class || '|' || pattern || '|' || coalesce(agent_id, '') || '|' || coalesce(model, '')), 16) as signature,
           error_class, pattern, agent_id, model, n, first_at, last_at, example_id, example_message
      from (select error_class, pattern, agent_id, model, count(*) as n, min(finished_at) as first_at, max(finished_at) as last_at,
                   (array_agg(id order by finished_at desc))[1] as example_id, (array_agg(error_message order by finished_at desc))[1] as example_message
              from batch group by 1, 2, 3, 4) g
  ), upserted as (
    insert into error_knowledge as k (signature, error_class, message_pattern, agent_id, model, occurrences, recovery, first_seen, last_seen,
                                      example_run_id, example_message)
    select signature, error_class, pattern, agent_id, model, n, error_default_recovery(error_class), first_at, last_at, example_id, left(example_message, 500)
      from grouped
    on conflict (signature) do update set occurrences = k.occurrences + excluded.occurrences, last_seen = greatest(k.last_seen, excluded.last_seen),
                                          example_run_id = excluded.example_run_id, example_message = excluded.example_message,
                                          recovery = coalesce(k.recovery, excluded.recovery)
    returning 1)
  select (select count(*) from batch), (select max(finished_at) from batch), (select count(*) from upserted)
    into v_rows, v_last, v_touched;
  with raised as (
    update error_knowledge set escalated_at = now()
     where escalated_at is null and occurrences >= p_min_occurrences
       and (recovery is null or recovery in ('retry_later', 'ask_rephrase', 'split_task')
            or (recovery_attempts >= 5 and recovery_successes::numeric / recovery_attempts < 0.2))
    returning jsonb_build_object('signature', signature, 'error_class', error_class, 'agent_id', agent_id, 'model', model,
                                 'occurrences', occurrences, 'recovery', recovery, 'recovery_attempts', recovery_attempts,
                                 'recovery_successes', recovery_successes, 'example_run_id', example_run_id, 'example_message', example_message) as x)
  select coalesce(jsonb_agg(x), '[]'::jsonb) into v_raise from raised;
  if v_last is not null then
    update analyst_watermarks set last_finished_at = v_last, updated_at = now() where analyst = 'errors';
  end if;
  return jsonb_build_object('ok', true, 'rows_read', v_rows, 'signatures', v_touched, 'raise', v_raise);
end $$;

-- 4. rollup_runs: the batch carries only the columns the rollup uses (r.* dragged request and error texts through
--    an on-disk sort), the agent_ref is the first array element read directly, the latency bucket is computed
--    once per run, and the batch's ratings are aggregated once (materialised) and hash-joined.
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
    select r.id, r.finished_at, date_trunc('hour', r.started_at) as hour, r.workspace_id, r.status, r.outcome, r.cost_usd, r.latency_ms,
           latency_bucket(r.latency_ms) as bucket,
           coalesce((r.agent_versions->0->>'agent_id') || '@' || (r.agent_versions->0->>'version'), '-') as agent_ref
      from runs r
     where r.finished_at > w.last_finished_at and r.finished_at <= now() - make_interval(secs => p_settle_seconds)
       and r.kind in ('message', 'goal', 'workflow')
     order by r.finished_at limit p_batch
  ), rated as materialized (
    select f.run_id, count(f.rating) as n, coalesce(sum(f.rating), 0) as s from feedback f where f.run_id in (select id from batch) group by f.run_id
  ), per_hour as (
    select b.hour, b.workspace_id, b.agent_ref,
           count(*) as runs, count(*) filter (where b.status = 'succeeded') as succeeded, count(*) filter (where b.status = 'failed') as failed,
           count(*) filter (where b.outcome = 'corrected') as corrected, count(*) filter (where b.outcome = 'accepted') as accepted,
           coalesce(sum(b.cost_usd), 0) as cost_usd, coalesce(sum(b.latency_ms), 0) as latency_sum_ms,
           array[count(*) filter (where b.bucket = 1), count(*) filter (where b.bucket = 2), count(*) filter (where b.bucket = 3), count(*) filter (where b.bucket = 4), count(*) filter (where b.bucket = 5), count(*) filter (where b.bucket = 6), count(*) filter (where b.bucket = 7), count(*) filter (where b.bucket = 8), count(*) filter (where b.bucket = 9), count(*) filter (where b.bucket = 10), count(*) filter (where b.bucket = 11), count(*) filter (where b.bucket = 12)]::integer[] as buckets,
           coalesce(sum(rated.n), 0) as ratings, coalesce(sum(rated.s), 0) as rating_sum
      -- The batch's ratings from a materialised aggregate, joined once. Inlined (as shipped before), the join was
      -- planned from the batch's estimate, which is 1 row when the newest runs are not in the statistics yet
      -- (autovacuum analyses a 1M-row table after 100k changes), and the nested loop it picked re-aggregated feedback
      -- for every run (10k new runs: 0.78 s). Materialised, the aggregate runs once whatever the plan (0.03-0.05 s
      -- for 10k new runs); per-run index lookups instead cost about 0.4 s more per 200k-run batch of a full pass.
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

-- 5. analyst_workflows: the stored signature; which agents served a pattern counted in the same grouped pass over
--    the batch (the original correlated subquery rescans the whole batch for every pattern: patterns x batch rows,
--    6 s at a 10k batch, 23-30 s at 20k, 79 s at 40k: quadratic, hours at the 200k batch), with no join between two
--    aggregates of the batch either (planned from the batch's estimate, 1 row while the newest runs are not in the
--    statistics, such a join becomes a nested loop that rescans one aggregate per pattern: a 5.7 s call for 10k
--    runs on PGlite); the induction lookup by the stored signature (runs_goal_signature) instead of to_tsvector over every
--    goal run per candidate.
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
    select r.id, r.workspace_id, r.request_text, r.status, r.kind, r.finished_at, r.agent_ids, r.request_sig as signature
      from runs r
     where r.finished_at > w.last_finished_at and r.finished_at <= now() - make_interval(secs => p_settle_seconds)
       and r.kind in ('message', 'goal', 'workflow') and r.request_text <> ''
     order by r.finished_at limit p_batch
  ), pairs as (
    -- One row per (run, agent) (one with a null agent for a run no agent served), with the runs of its agent in
    -- its pattern; a run's own figures are taken from its first row only.
    select b.*, u.a, coalesce(u.ord, 1) = 1 as first, count(*) over (partition by b.workspace_id, b.signature, u.a) as a_runs
      from batch b left join lateral unnest(b.agent_ids) with ordinality u(a, ord) on true
     where b.signature <> ''
  ), grouped as (
    select p.workspace_id, p.signature, count(*) filter (where first) as n, count(*) filter (where first and p.status = 'succeeded') as ok,
           count(*) filter (where first and p.kind = 'goal') as goals, count(*) filter (where first and p.kind = 'goal' and p.status = 'succeeded') as goals_ok,
           coalesce(sum(rated.n) filter (where first), 0) as ratings, coalesce(sum(rated.s) filter (where first), 0) as rating_sum,
           (array_agg(p.request_text order by p.finished_at desc) filter (where first))[1:5] as examples,
           min(p.finished_at) as first_at, max(p.finished_at) as last_at,
           coalesce(jsonb_object_agg(p.a, p.a_runs) filter (where p.a is not null), '{}'::jsonb) as agents
      -- The batch's ratings by index lookups (feedback_run): a join with a "rated" CTE is planned from the batch's
      -- estimate, which is 1 row when the newest runs are not in the statistics yet (autovacuum analyses a 1M-row
      -- table after 100k changes), and the nested loop it picks rescans the aggregate for every run (10k new runs:
      -- 1.3 s of the workflows statement, 0.78 s of the rollup's).
      from pairs p cross join lateral (select count(f.rating) as n, coalesce(sum(f.rating), 0) as s from feedback f where f.run_id = p.id and p.first) rated
     group by p.workspace_id, p.signature
  ), upserted as (
    insert into patterns as p (workspace_id, signature, example, occurrences, successes, goal_runs, goal_successes, ratings, rating_sum, agents,
                               examples, first_seen, last_seen, strength, avg_rating)
    select workspace_id, signature, left(examples[1], 1000), n, ok, goals, goals_ok, ratings, rating_sum, agents,
           array(select left(x, 1000) from unnest(examples) x), first_at, last_at,
           pattern_strength(n::integer, ok::numeric / nullif(n::integer, 0), v_t, p_min_success),
           case when ratings > 0 then round(rating_sum::numeric / ratings, 2) end from grouped
    on conflict (workspace_id, signature) do update set
      strength = pattern_strength(p.occurrences + excluded.occurrences, (p.successes + excluded.successes)::numeric / nullif(p.occurrences + excluded.occurrences, 0),
                                  v_t, p_min_success),
      avg_rating = case when p.ratings + excluded.ratings > 0 then round((p.rating_sum + excluded.rating_sum)::numeric / (p.ratings + excluded.ratings), 2) end,
      occurrences = p.occurrences + excluded.occurrences, successes = p.successes + excluded.successes,
      goal_runs = p.goal_runs + excluded.goal_runs, goal_successes = p.goal_successes + excluded.goal_successes,
      ratings = p.ratings + excluded.ratings, rating_sum = p.rating_sum + excluded.rating_sum,
      agents = (select jsonb_object_agg(k, coalesce((p.agents->>k)::int, 0) + coalesce((excluded.agents->>k)::int, 0))
                  from (select jsonb_object_keys(p.agents) k union select jsonb_object_keys(excluded.agents)) keys),
      examples = (array(select distinct x from unnest(excluded.examples || p.examples) x limit 5)),
      example = excluded.example, last_seen = greatest(p.last_seen, excluded.last_seen)
    returning 1)
  select (select count(*) from batch), (select max(finished_at) from batch), (select count(*) from upserted) into v_rows, v_last, v_touched;
  -- The upsert above already set strength and avg_rating of every pattern it touched, from the same formulas over
  -- the new counts; this catches the others the original update recomputed (last_seen at the watermark, or thresholds
  -- changed since), and writes only the rows whose values change: rewriting every touched pattern a second time
  -- cost 0.4-0.5 s per 200k-run batch (16k patterns).
  update patterns set strength = pattern_strength(occurrences, successes::numeric / nullif(occurrences, 0), v_t, p_min_success),
                      avg_rating = case when ratings > 0 then round(rating_sum::numeric / ratings, 2) end
   where last_seen >= coalesce(w.last_finished_at, '-infinity')
     and (strength is distinct from pattern_strength(occurrences, successes::numeric / nullif(occurrences, 0), v_t, p_min_success)
          or avg_rating is distinct from case when ratings > 0 then round(rating_sum::numeric / ratings, 2) end);
  if v_last is not null then update analyst_watermarks set last_finished_at = v_last, updated_at = now() where analyst = 'workflows'; end if;

  select coalesce(jsonb_agg(jsonb_build_object('pattern_id', p.id, 'workspace_id', p.workspace_id, 'signature', p.signature,
                                               'examples', to_jsonb(p.examples), 'occurrences', p.occurrences, 'goal_runs', p.goal_runs,
                                               'success_rate', round(p.goal_successes::numeric / nullif(p.goal_runs, 0), 3), 'plan', plan.plan)), '[]'::jsonb)
    into v_induce
    from patterns p
    join lateral (select g.plan from goals g join runs r on r.id = g.run_id
                   where r.workspace_id = p.workspace_id and r.kind = 'goal' and r.status = 'succeeded' and g.plan is not null
                     and r.request_sig = p.signature
                   order by r.finished_at desc limit 1) plan on true
   where p.workflow_id is null and p.strength in ('strong', 'very_strong') and p.goal_runs >= v_t[1]
     and p.goal_successes::numeric / nullif(p.goal_runs, 0) >= p_min_success;

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
          -- only the general assistant served them: its key and no other (the same test as the key array equal to
          -- {general}, without building that array for each of the ~10k candidate patterns on every call: 60-80 ms)
          or (p.agents ? 'general' and p.agents - 'general' = '{}'::jsonb));
  return jsonb_build_object('ok', true, 'rows_read', v_rows, 'patterns', v_touched, 'induce', v_induce, 'gaps', v_gaps);
end $$;

-- 6. cost_candidates: one grouped scan of the week's message runs instead of one bitmap scan per agent config
--    (30 x 70 ms at 1M runs). Same counts: a run counts once for each {agent_id, version} it carries.
create or replace function cost_candidates(p_since timestamptz, p_min_runs integer default 30, p_min_success numeric default 0.8) returns jsonb
language sql stable as $$
  with served as (
    select e.agent_id, e.version, count(*) as runs,
           avg((r.status = 'succeeded')::int) as success, avg(r.cost_usd) as cost_per_run
      -- jsonb_to_recordset: the {agent_id, version} objects run_finish writes, read as columns in one call per run
      -- (15 % faster than ->> and a cast per element over the week's 218k runs at 1M).
      from runs r cross join lateral jsonb_to_recordset(r.agent_versions) e(agent_id text, version integer)
     where r.started_at >= p_since and r.kind = 'message' and r.status <> 'running'
     group by 1, 2)
  select coalesce(jsonb_agg(x), '[]'::jsonb) from (
    select jsonb_build_object('agent_id', a.agent_id, 'version', a.version, 'model', a.model, 'runs', s.runs, 'success_rate', s.success,
                              'cost_per_run', s.cost_per_run) as x
      from agent_configs a join served s on s.agent_id = a.agent_id and s.version = a.version
     where a.status = 'current' and s.runs >= p_min_runs and s.success >= p_min_success and s.cost_per_run > 0
  ) c
$$;

-- 6b. agent_complaints: from the complaints (feedback rated 2 or less, or with a category: a few thousand rows a week
--    at 1M runs) to their runs by primary key, instead of the week's runs of the agent (a bitmap scan of 232k runs)
--    hash-joined with them: 0.25 → 0.1 s a call at 1M runs (on the loaded machine). The lateral keeps that join order.
create or replace function agent_complaints(p_agent_id text, p_since timestamptz, p_limit integer default 10) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(x), '[]'::jsonb) from (
    select jsonb_build_object('run_id', r.id, 'request', left(r.request_text, 500), 'rating', f.rating, 'comment', left(f.text, 500),
                              'outcome', r.outcome) as x
      from feedback f
     cross join lateral (select r.id, r.request_text, r.outcome from runs r
                          where r.id = f.run_id and p_agent_id = any(r.agent_ids) and r.started_at >= p_since
                          limit 1) r   -- at most one row (the primary key); the limit keeps the planner from flattening the lateral
     -- f.created_at >= p_since: always true of feedback on a run started since p_since (feedback comes after its run
     -- starts); it bounds the lookups to the window's complaints as the log grows.
     where (f.rating <= 2 or f.category is not null) and f.created_at >= p_since
     order by f.created_at desc limit greatest(coalesce(p_limit, 10), 1)) c
$$;

-- 7. spend_report and digest_report: unchanged but for the columns of their window's runs, and one condition each on the steps they join,
--    s.created_at >= p_since (always true of a step of a run started since p_since: steps are written after their
--    run starts), which lets run_steps_created limit the join to the window's steps.
create or replace function spend_report(p_since timestamptz, p_workspace_id text default null) returns jsonb
language sql stable as $$
  with r as (
    -- Only the columns the report reads: with select * the day's runs (request and answer texts) spilled the
    -- materialised CTE to disk (12 MB at 1M runs), re-read by each of the eight parts.
    select id, started_at, kind, user_id, agent_ids, workflow_id, cost_usd, cost_unknown_steps
      from runs where started_at >= p_since and (p_workspace_id is null or workspace_id = p_workspace_id)
  ), steps as (
    select s.model, s.cost_usd, s.tokens_in, s.tokens_out from run_steps s join r on r.id = s.run_id where s.model is not null and s.created_at >= p_since
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

create or replace function digest_report(p_since timestamptz) returns jsonb
language sql stable as $$
  -- Only the columns the digest reads (select * spilled the materialised CTE to disk, as in spend_report).
  with r as (select id, status, latency_ms, cost_usd, error_class from runs where started_at >= p_since and kind in ('message', 'goal', 'workflow'))
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
                             from run_steps s join r on r.id = s.run_id where s.kind = 'recovery' and s.created_at >= p_since group by s.name) x),
    'proposals', (select count(*) from enhancements where created_at >= p_since),
    'anomalies', (select count(*) from anomalies where opened_at >= p_since))
$$;


-- 8. budget_alerts_due: the spend of each budget computed once. Inlined, the "spent" CTE calls budget_spent for
--    each (budget, threshold) pair: twice per budget, each a sum over the budget's period of raw runs (a whole month
--    of runs for a monthly budget near the end of the month).
create or replace function budget_alerts_due() returns jsonb
language sql as $$
  with spent as materialized (
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

-- 9. agent_performance and analyst_anomalies: the latency buckets summed element by element. int_array_sum calls
--    array_add (an SQL function building a new array through generate_series) once per rollup row: ~6 µs a row,
--    0.17 s of the anomalies' 0.3 s over a week of rollup at 1M runs. The rollup always writes 12 buckets
--    (rollup_runs, and the column's default array_fill(0, 12)), so the sums are the same arrays.
create or replace function agent_performance(p_since timestamptz, p_min_runs integer default 20) returns jsonb
language sql stable as $$
  with per_agent as (
    select agent_ref, sum(runs) as runs, sum(succeeded) as succeeded, sum(corrected) as corrected, sum(cost_usd) as cost_usd,
           sum(latency_sum_ms) as latency_sum_ms, sum(ratings) as ratings, sum(rating_sum) as rating_sum,
           array[sum(latency_buckets[1]), sum(latency_buckets[2]), sum(latency_buckets[3]), sum(latency_buckets[4]), sum(latency_buckets[5]), sum(latency_buckets[6]), sum(latency_buckets[7]), sum(latency_buckets[8]), sum(latency_buckets[9]), sum(latency_buckets[10]), sum(latency_buckets[11]), sum(latency_buckets[12])]::integer[] as buckets
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
           array[sum(latency_buckets[1]), sum(latency_buckets[2]), sum(latency_buckets[3]), sum(latency_buckets[4]), sum(latency_buckets[5]), sum(latency_buckets[6]), sum(latency_buckets[7]), sum(latency_buckets[8]), sum(latency_buckets[9]), sum(latency_buckets[10]), sum(latency_buckets[11]), sum(latency_buckets[12])]::integer[] as buckets
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

-- 10. No JIT for the analysts' statements. PostgreSQL's default (jit = on, jit_above_cost 100000) compiles these
--    large statements on every call, and their cost estimates are far above the threshold whatever the batch:
--    1.1 s of compilation in a 2.7 s workflows call at 1M runs; with JIT off the same calls took half the time or
--    less (workflows 1.3-1.4 s vs 2.6-3.1 s per 200k batch, rollup 0.6-0.7 s vs 1.5 s). Per function, so the
--    server's setting is left alone.
alter function analyst_errors(text, bigint, integer, integer, integer) set jit = off;
alter function analyst_rollup(text, bigint, integer) set jit = off;
alter function rollup_runs(integer, integer) set jit = off;
alter function analyst_workflows(text, bigint, jsonb, numeric, integer, integer) set jit = off;
alter function analyst_anomalies(text, bigint, numeric, integer) set jit = off;
alter function agent_performance(timestamptz, integer) set jit = off;
alter function agent_complaints(text, timestamptz, integer) set jit = off;
alter function cost_candidates(timestamptz, integer, numeric) set jit = off;
alter function spend_report(timestamptz, text) set jit = off;
alter function digest_report(timestamptz) set jit = off;
alter function budget_alerts_due() set jit = off;

-- 11. The stored columns rewrote runs and have no statistics yet; the planner's estimates for them (the induction
--    lookup by request_sig) would stay defaults until autovacuum's next ANALYZE of a table that changed 10 %.
analyze runs;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 10) $$;
