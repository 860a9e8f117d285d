-- Analysts on a schedule, part 1: one run per cron slot across instances (lease rows with a generation), a row per
-- analyst run, incremental watermarks, and the error analyst with the error knowledge base used at runtime.

create index if not exists runs_finished on runs (finished_at, id) where finished_at is not null;

alter table job_leases add column if not exists slot timestamptz not null default '-infinity';
alter table job_leases add column if not exists finished_at timestamptz;
alter table analyst_runs add column if not exists slot timestamptz;
alter table analyst_runs add column if not exists findings integer;
alter table analyst_runs add column if not exists detail jsonb;
alter table analyst_runs add column if not exists run_id uuid;
create unique index if not exists analyst_runs_generation on analyst_runs (job, generation);
create index if not exists analyst_runs_latest on analyst_runs (job, started_at desc);
alter table analyst_watermarks add column if not exists last_finished_at timestamptz not null default '-infinity';

-- ---------------------------------------------------------------------------------------------------
-- Leases: the way graphile-worker and pg-boss claim a cron tick. A claim is a guarded upsert that only the
-- winner's statement returns: a new slot once the previous run finished (or its holder's lease expired), or
-- the same slot when its holder died mid-run (lease expired, not finished). Each claim bumps the generation;
-- analysts write only while their generation is the lease's, so a holder that lost its lease writes nothing.
create or replace function job_claim(p_job text, p_holder text, p_slot timestamptz, p_lease_seconds integer default 300) returns jsonb
language plpgsql as $$
declare
  l job_leases;
  v_takeover boolean;
begin
  select (slot = p_slot) into v_takeover from job_leases where job = p_job;
  insert into job_leases as j (job, holder, generation, expires_at, slot, finished_at, updated_at)
  values (p_job, p_holder, 1, now() + make_interval(secs => p_lease_seconds), p_slot, null, now())
  on conflict (job) do update set holder = excluded.holder, generation = j.generation + 1, expires_at = excluded.expires_at,
                                  slot = excluded.slot, finished_at = null, updated_at = now()
   where (j.slot < excluded.slot or j.finished_at is null)
     and (j.finished_at is not null or j.expires_at < now())
  returning * into l;
  if not found then
    select * into l from job_leases where job = p_job;
    return jsonb_build_object('claimed', false, 'holder', l.holder, 'slot', l.slot, 'running', l.finished_at is null and l.expires_at >= now());
  end if;
  insert into analyst_runs (job, holder, generation, slot) values (p_job, p_holder, l.generation, p_slot)
  on conflict (job, generation) do nothing;
  return jsonb_build_object('claimed', true, 'generation', l.generation, 'takeover', coalesce(v_takeover, false));
end $$;

-- The holder is still at work: push its lease out. False when another instance has taken the job over.
create or replace function job_renew(p_job text, p_generation bigint, p_lease_seconds integer default 300) returns jsonb
language sql as $$
  with renewed as (
    update job_leases set expires_at = now() + make_interval(secs => p_lease_seconds), updated_at = now()
     where job = p_job and generation = p_generation and finished_at is null
    returning 1)
  select jsonb_build_object('ok', exists (select 1 from renewed))
$$;

-- Locks the lease row for the rest of the transaction when p_generation still holds it; a takeover waits for the
-- lock, so a holder's results are either all written before it or refused.
create or replace function job_hold(p_job text, p_generation bigint) returns boolean
language plpgsql as $$
begin
  perform 1 from job_leases where job = p_job and generation = p_generation and finished_at is null for update;
  return found;
end $$;

create or replace function job_finish(
  p_job text, p_generation bigint, p_rows_read integer default null, p_findings integer default null, p_proposals integer default null,
  p_error text default null, p_detail jsonb default null, p_run_id uuid default null
) returns jsonb
language plpgsql as $$
begin
  update analyst_runs set finished_at = now(), rows_read = p_rows_read, findings = p_findings, proposals = p_proposals,
                          error = left(p_error, 2000), detail = p_detail, run_id = coalesce(p_run_id, run_id)
   where job = p_job and generation = p_generation;
  update job_leases set finished_at = now(), expires_at = now(), updated_at = now()
   where job = p_job and generation = p_generation and finished_at is null;
  return jsonb_build_object('ok', found);
end $$;

-- The last run of each job, newest first (for /metrics and /improver).
create or replace function analyst_runs_latest(p_limit integer default 20) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(to_jsonb(x) order by x.job), '[]'::jsonb)
    from (select distinct on (job) * from analyst_runs order by job, started_at desc limit greatest(coalesce(p_limit, 20), 1)) x
$$;

-- ---------------------------------------------------------------------------------------------------
-- Error knowledge.

-- Messages grouped by shape: ids and numbers masked, so "max 128000 tokens, you sent 131072" and "... 140000"
-- are one signature. Grouping only: decisions read error_class, never this text.
create or replace function error_normalise(p_message text) returns text
language sql immutable as $$
  select left(btrim(regexp_replace(regexp_replace(regexp_replace(lower(coalesce(p_message, '')),
    '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g'),
    '[0-9]+([.,][0-9]+)*', '<n>', 'g'),
    '\s+', ' ', 'g')), 200)
$$;

create or replace function error_signature(p_error_class text, p_message text, p_agent_id text, p_model text) returns text
language sql immutable as $$
  select p_error_class || ':' || left(md5(p_error_class || '|' || error_normalise(p_message) || '|' || coalesce(p_agent_id, '') || '|'
                                          || coalesce(p_model, '')), 16)
$$;

-- The first recovery to try for an error class; measured success rates decide whether it keeps being tried.
create or replace function error_default_recovery(p_error_class text) returns text
language sql immutable as $$
  select case p_error_class
    when 'MODEL_CONTEXT_OVERFLOW' then 'trim_context'
    when 'MODEL_SERVER_ERROR' then 'fallback_model'
    when 'MODEL_TIMEOUT' then 'fallback_model'
    when 'MODEL_BAD_OUTPUT' then 'fallback_model'
    when 'MODEL_REFUSED' then 'fallback_model'
    when 'MODEL_RATE_LIMITED' then 'retry_later'
    when 'GOAL_FAILED' then 'split_task'
    when 'INPUT_INVALID' then 'ask_rephrase'
    else null end
$$;

alter table error_knowledge add column if not exists example_run_id uuid;
alter table error_knowledge add column if not exists example_message text;
create index if not exists error_knowledge_class on error_knowledge (error_class, agent_id, model);

-- The error analyst: failed runs finished since the watermark, grouped by signature in SQL, added to the
-- knowledge base. Returns the signatures that recur with no working recovery and were not yet raised to admins
-- (marked raised here, so each is raised once across instances).
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
    select r.id, r.finished_at, r.error_class, r.error_message, r.agent_ids[1] as agent_id, r.models[1] as model
      from runs r
     -- Runs finished a few seconds ago at least: a run_finish still committing cannot slip behind the watermark.
     where r.finished_at > w.last_finished_at and r.finished_at <= now() - make_interval(secs => p_settle_seconds)
       and r.status = 'failed' and r.error_class is not null and r.kind <> 'analyst'
     order by r.finished_at limit p_batch
  ), grouped as (
    select error_signature(error_class, error_message, agent_id, model) as signature, error_class,
           error_normalise(error_message) as pattern, agent_id, model, count(*) as n, min(finished_at) as first_at, max(finished_at) as last_at,
           (array_agg(id order by finished_at desc))[1] as example_id, (array_agg(error_message order by finished_at desc))[1] as example_message
      from batch group by 1, 2, 3, 4, 5
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
  -- Recurring with nothing that works: no recovery known, or one tried at least 5 times that worked under 20 % of the time.
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

-- The best known recovery for a failure happening now: the exact signature, else the same class for this agent
-- and model, else the class anywhere. Null when the knowledge base has never seen the class.
create or replace function error_recovery_for(p_error_class text, p_message text, p_agent_id text default null, p_model text default null)
returns jsonb
language sql stable as $$
  select to_jsonb(k) || jsonb_build_object('match', m.how)
    from error_knowledge k
    join lateral (select case
        when k.signature = error_signature(p_error_class, p_message, p_agent_id, p_model) then 1
        when k.agent_id is not distinct from p_agent_id and k.model is not distinct from p_model then 2
        else 3 end as rank,
      case when k.signature = error_signature(p_error_class, p_message, p_agent_id, p_model) then 'signature'
        when k.agent_id is not distinct from p_agent_id and k.model is not distinct from p_model then 'class_agent_model'
        else 'class' end as how) m on true
   where k.error_class = p_error_class and k.recovery is not null
   order by m.rank, k.occurrences desc
   limit 1
$$;

-- Counts one try of a recovery and whether it worked (the knowledge base's measured success rate).
create or replace function error_recovery_record(p_signature text, p_succeeded boolean) returns jsonb
language sql as $$
  update error_knowledge set recovery_attempts = recovery_attempts + 1,
                             recovery_successes = recovery_successes + case when p_succeeded then 1 else 0 end
   where signature = p_signature
  returning jsonb_build_object('attempts', recovery_attempts, 'successes', recovery_successes)
$$;

create or replace function error_knowledge_list(p_limit integer default 20) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(to_jsonb(k) order by k.occurrences desc, k.signature), '[]'::jsonb)
    from (select * from error_knowledge order by occurrences desc, signature limit greatest(coalesce(p_limit, 20), 1)) k
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 6) $$;

select app_restrict_functions(array['job_claim', 'job_renew', 'job_hold', 'job_finish', 'analyst_runs_latest', 'error_normalise',
  'error_signature', 'error_default_recovery', 'analyst_errors', 'error_recovery_for', 'error_recovery_record', 'error_knowledge_list',
  'app_schema_version']);
