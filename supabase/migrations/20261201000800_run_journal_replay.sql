-- The run log's outage journal (src/journal): while the database is unreachable, each instance appends its run-log
-- writes to a local file; when the database returns they are replayed here, once. Replay is idempotent by the ids
-- the journal assigned: a run by its id, a step by its journal record id, so a journal replayed twice (a crash
-- between the replay and the deletion of the file) doubles nothing.
--
-- Released migrations never change: everything here is new, and idempotent like every migration.

-- When a run (or part of it) was recorded from an instance's journal rather than live: null for live runs.
alter table runs add column if not exists journaled_at timestamptz;
-- Set on a journaled run whose Slack key (event id, or channel + message ts) another run already holds: two
-- instances both answered one event while the database was down (see docs/OPERATING-outage.md). The journaled run
-- is kept, with its keys cleared, so its answer and its cost are still on record.
alter table runs add column if not exists duplicate_of uuid;
-- The journal record a replayed step came from (its idempotency key); null for steps written live.
alter table run_steps add column if not exists journal_key uuid;
create unique index if not exists run_steps_journal_key on run_steps (run_id, journal_key) where journal_key is not null;
create index if not exists runs_journaled on runs (journaled_at) where journaled_at is not null;

-- Replays journal records in order, in one transaction. Each record: {"id", "type", "run_id", "at", ...fields}, the
-- fields named as the live functions' arguments without the p_ prefix. Types:
--   start    inserts the run with the journal's id and start time (skipped when that id exists)
--   serving  = run_record_serving (an update: replaying it again changes nothing)
--   step     inserts the step keyed by the record id (skipped when present), with the journal's time
--   finish   = run_finish, with the journal's finish time and latency (its totals are recomputed from the steps)
--   answer   = run_set_answer
-- A record of a run that is not in the database (its start was dropped by the journal's size or age bound) is
-- counted as orphaned and skipped. A JSON null field reads as SQL null (nullif), exactly as an omitted argument of
-- the live function would. Returns {"applied": n, "skipped": n, "orphaned": n, "duplicates": [{"run_id", "duplicate_of"}]}.
create or replace function run_journal_replay(p_records jsonb) returns jsonb
language plpgsql as $$
declare
  rec jsonb;
  v_run uuid;
  v_at timestamptz;
  v_existing uuid;
  v_key uuid;
  n integer;
  v_applied integer := 0;
  v_skipped integer := 0;
  v_orphaned integer := 0;
  v_duplicates jsonb := '[]'::jsonb;
begin
  for rec in select value from jsonb_array_elements(coalesce(p_records, '[]'::jsonb)) loop
    v_run := (rec->>'run_id')::uuid;
    v_at := (rec->>'at')::timestamptz;
    if rec->>'type' = 'start' then
      if exists (select 1 from runs where id = v_run) then
        v_skipped := v_skipped + 1;
        continue;
      end if;
      select id into v_existing from runs
       where workspace_id = rec->>'workspace_id'
         and ((rec->>'event_id' is not null and event_id = rec->>'event_id')
           or (rec->>'message_ts' is not null and channel_id is not distinct from rec->>'channel_id' and message_ts = rec->>'message_ts'))
       order by started_at limit 1;
      insert into runs (id, workspace_id, surface, event_id, channel_id, message_ts, thread_ts, user_id, request_text, kind,
                        lease_expires_at, started_at, journaled_at, duplicate_of)
      values (v_run, rec->>'workspace_id', rec->>'surface',
              case when v_existing is null then rec->>'event_id' end, rec->>'channel_id',
              case when v_existing is null then rec->>'message_ts' end, rec->>'thread_ts', rec->>'user_id',
              coalesce(rec->>'request_text', ''), coalesce(rec->>'kind', 'message'),
              v_at + make_interval(secs => coalesce((rec->>'lease_seconds')::integer, 300)), v_at, now(), v_existing);
      if v_existing is not null then
        v_duplicates := v_duplicates || jsonb_build_array(jsonb_build_object('run_id', v_run, 'duplicate_of', v_existing));
      end if;
    elsif not exists (select 1 from runs where id = v_run) then
      -- The run's start was dropped from the journal by its size or age bound: nothing to attach this record to.
      v_orphaned := v_orphaned + 1;
      continue;
    elsif rec->>'type' = 'step' then
      v_key := (rec->>'id')::uuid;
      if exists (select 1 from run_steps where run_id = v_run and journal_key = v_key) then
        v_skipped := v_skipped + 1;
        continue;
      end if;
      update runs set step_count = step_count + 1, journaled_at = coalesce(journaled_at, now()) where id = v_run returning step_count into n;
      insert into run_steps (run_id, seq, kind, name, agent_id, agent_version, model, tokens_in, tokens_out, cost_usd,
                             latency_ms, status, error_class, detail, created_at, journal_key)
      values (v_run, n, rec->>'kind', rec->>'name', rec->>'agent_id', (rec->>'agent_version')::integer, rec->>'model',
              coalesce((rec->>'tokens_in')::integer, 0), coalesce((rec->>'tokens_out')::integer, 0), (rec->>'cost_usd')::numeric,
              (rec->>'latency_ms')::integer, rec->>'status', rec->>'error_class', coalesce(nullif(rec->'detail', 'null'::jsonb), '{}'::jsonb), v_at, v_key);
    elsif rec->>'type' = 'serving' then
      perform run_record_serving(p_run_id => v_run, p_route => rec->>'route', p_route_reason => rec->>'route_reason',
        p_agent => nullif(rec->'agent', 'null'::jsonb), p_workflow_id => (rec->>'workflow_id')::uuid, p_workflow_version => (rec->>'workflow_version')::integer,
        p_experiment_id => (rec->>'experiment_id')::uuid, p_experiment_arm => rec->>'experiment_arm', p_serving => nullif(rec->'serving', 'null'::jsonb));
      update runs set journaled_at = coalesce(journaled_at, now()) where id = v_run;
    elsif rec->>'type' = 'finish' then
      perform run_finish(p_run_id => v_run, p_status => rec->>'status', p_route => rec->>'route', p_route_reason => rec->>'route_reason',
        p_agent_ids => nullif(rec->'agent_ids', 'null'::jsonb), p_error_class => rec->>'error_class', p_error_message => rec->>'error_message',
        p_latency_ms => (rec->>'latency_ms')::integer, p_answer_ts => rec->>'answer_ts', p_delivered => (rec->>'delivered')::boolean,
        p_workflow_id => (rec->>'workflow_id')::uuid);
      update runs set finished_at = v_at,
                      latency_ms = coalesce((rec->>'latency_ms')::integer, greatest(0, (extract(epoch from (v_at - started_at)) * 1000)::integer)),
                      journaled_at = coalesce(journaled_at, now())
       where id = v_run;
    elsif rec->>'type' = 'answer' then
      perform run_set_answer(v_run, rec->>'answer_text');
    else
      raise exception 'run_journal_replay: unknown record type %', rec->>'type' using errcode = '22023';
    end if;
    v_applied := v_applied + 1;
  end loop;
  return jsonb_build_object('applied', v_applied, 'skipped', v_skipped, 'orphaned', v_orphaned, 'duplicates', v_duplicates);
end $$;

-- No app_schema_version() here: 20261201000900 (schema version 10) comes after this file, and a database that got
-- 0900 first would get this file afterwards; the app's schema check finds run_journal_replay by name in pg_proc.
select app_restrict_functions(array['run_journal_replay']);
