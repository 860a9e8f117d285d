-- Experiment arms: which arm a conversation is in, sticky per unit (a thread), chosen by a hash of the unit so
-- every instance agrees without coordination, and kept in experiment_assignments so a later change of the
-- share never moves a thread that already started.

create or replace function experiment_create(
  p_target_kind text, p_target_id text, p_control_version integer default null, p_candidate_version integer default null,
  p_share numeric default 0.2, p_enhancement_id uuid default null
) returns jsonb
language plpgsql as $$
declare e experiments;
begin
  insert into experiments (enhancement_id, target_kind, target_id, control_version, candidate_version, share)
  values (p_enhancement_id, p_target_kind, p_target_id, p_control_version, p_candidate_version, p_share)
  on conflict (target_kind, target_id) where status = 'running' do nothing
  returning * into e;
  if not found then
    -- At most one experiment per target: the one already running is returned, marked as such.
    select * into e from experiments where target_kind = p_target_kind and target_id = p_target_id and status = 'running';
    return jsonb_build_object('ok', false, 'reason', 'already_running', 'experiment', to_jsonb(e));
  end if;
  return jsonb_build_object('ok', true, 'experiment', to_jsonb(e));
end $$;

create or replace function experiment_running(p_target_kind text, p_target_id text) returns jsonb
language sql stable as $$
  select to_jsonb(e) from experiments e where e.target_kind = p_target_kind and e.target_id = p_target_id and e.status = 'running'
$$;

-- The arm of a unit: the stored assignment, or a new one from a hash of (experiment, unit) against the share.
create or replace function experiment_assign(p_experiment_id uuid, p_unit_key text) returns jsonb
language plpgsql as $$
declare
  e experiments;
  v_arm text;
begin
  select arm into v_arm from experiment_assignments where experiment_id = p_experiment_id and unit_key = p_unit_key;
  if found then return jsonb_build_object('arm', v_arm, 'new', false); end if;
  select * into e from experiments where id = p_experiment_id;
  if not found or e.status <> 'running' then return null; end if;
  v_arm := case when ('x' || substr(md5(p_experiment_id::text || ':' || p_unit_key), 1, 8))::bit(32)::bigint / 4294967296.0 < e.share
                then 'candidate' else 'control' end;
  insert into experiment_assignments (experiment_id, unit_key, arm) values (p_experiment_id, p_unit_key, v_arm)
  on conflict (experiment_id, unit_key) do nothing;
  select arm into v_arm from experiment_assignments where experiment_id = p_experiment_id and unit_key = p_unit_key;
  return jsonb_build_object('arm', v_arm, 'new', true);
end $$;

-- The specialist that last answered in a thread: a follow-up that names no other specialty continues with it.
create or replace function run_thread_agent(p_workspace_id text, p_channel_id text, p_thread_ts text) returns jsonb
language sql stable as $$
  select to_jsonb(r.agent_ids[1]) from runs r
   where r.workspace_id = p_workspace_id and r.channel_id = p_channel_id and r.thread_ts = p_thread_ts
     and r.kind = 'message' and r.status = 'succeeded' and cardinality(r.agent_ids) = 1
   order by r.started_at desc limit 1
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 5) $$;

select app_restrict_functions(array['experiment_create', 'experiment_running', 'experiment_assign', 'run_thread_agent', 'app_schema_version']);
