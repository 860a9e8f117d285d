-- Conversation path: is this a thread the bot is part of?

create index if not exists runs_thread on runs (workspace_id, channel_id, thread_ts) where thread_ts is not null;

-- True when the bot has taken part in the thread (a run was started in it), so follow-ups without a mention
-- are answered there and nowhere else.
create or replace function run_thread_known(p_workspace_id text, p_channel_id text, p_thread_ts text) returns jsonb
language sql stable as $$
  select to_jsonb(exists (
    select 1 from runs
     where workspace_id = p_workspace_id and channel_id = p_channel_id and thread_ts = p_thread_ts))
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 2) $$;

select app_restrict_functions(array['run_thread_known', 'app_schema_version']);
