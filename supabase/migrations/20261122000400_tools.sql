-- Tools: approvals of side-effecting tool calls.
--
-- A side-effecting tool call waits for the requesting user's decision (Slack: Approve / Deny buttons,
-- console: y/n). The decision is made once, in SQL: tool_approval_decide changes a row only while it is
-- 'pending', and concurrent updates of one row serialise on its lock, so a double click — or two clicks
-- delivered to two instances — decides once and the waiting agent runs the tool at most once.

create table if not exists tool_approvals (
  id           uuid primary key default gen_random_uuid(),
  run_id       uuid references runs(id) on delete cascade,
  workspace_id text not null,
  channel_id   text,
  thread_ts    text,
  user_id      text not null,          -- the requesting user: the only one who may decide
  tool         text not null,
  args         jsonb not null default '{}',
  status       text not null default 'pending' check (status in ('pending', 'approved', 'denied', 'timeout')),
  decided_by   text,
  decided_at   timestamptz,
  expires_at   timestamptz not null,
  created_at   timestamptz not null default now(),
  check ((status = 'pending') = (decided_at is null))
);
create index if not exists tool_approvals_run on tool_approvals (run_id);
create index if not exists tool_approvals_pending on tool_approvals (expires_at) where status = 'pending';
alter table tool_approvals enable row level security;

create or replace function tool_approval_create(
  p_run_id uuid, p_workspace_id text, p_user_id text, p_tool text, p_args jsonb, p_timeout_seconds integer,
  p_channel_id text default null, p_thread_ts text default null
) returns jsonb
language sql as $$
  insert into tool_approvals (run_id, workspace_id, channel_id, thread_ts, user_id, tool, args, expires_at)
  values (p_run_id, p_workspace_id, p_channel_id, p_thread_ts, p_user_id, p_tool, coalesce(p_args, '{}'),
          now() + make_interval(secs => p_timeout_seconds))
  returning to_jsonb(tool_approvals)
$$;

create or replace function tool_approval_get(p_approval_id uuid) returns jsonb
language sql stable as $$
  select to_jsonb(a) from tool_approvals a where a.id = p_approval_id
$$;

-- A user's decision. ok=false with a reason when it does not count: 'not_requester' (someone else clicked),
-- 'already_decided' (a double click, or the request timed out), 'expired' (clicked after the deadline:
-- recorded as a timeout), 'not_found'.
create or replace function tool_approval_decide(p_approval_id uuid, p_user_id text, p_decision text) returns jsonb
language plpgsql as $$
declare a tool_approvals;
begin
  if p_decision not in ('approved', 'denied') then
    raise exception 'tool_approval_decide: decision must be approved or denied, not %', p_decision using errcode = '22023';
  end if;
  select * into a from tool_approvals where id = p_approval_id;
  if not found then return jsonb_build_object('ok', false, 'reason', 'not_found'); end if;
  if a.user_id <> p_user_id then return jsonb_build_object('ok', false, 'reason', 'not_requester', 'approval', to_jsonb(a)); end if;
  update tool_approvals
     set status = case when expires_at < now() then 'timeout' else p_decision end,
         decided_by = case when expires_at < now() then null else p_user_id end,
         decided_at = now()
   where id = p_approval_id and status = 'pending'
  returning * into a;
  if not found then
    select * into a from tool_approvals where id = p_approval_id;
    return jsonb_build_object('ok', false, 'reason', 'already_decided', 'approval', to_jsonb(a));
  end if;
  if a.status = 'timeout' then return jsonb_build_object('ok', false, 'reason', 'expired', 'approval', to_jsonb(a)); end if;
  return jsonb_build_object('ok', true, 'approval', to_jsonb(a));
end $$;

-- The waiting side gives up: a still-pending request becomes 'timeout'. Returns the row as it ends up, so a
-- decision that landed just before wins over the timeout.
create or replace function tool_approval_expire(p_approval_id uuid) returns jsonb
language plpgsql as $$
declare a tool_approvals;
begin
  update tool_approvals set status = 'timeout', decided_at = now() where id = p_approval_id and status = 'pending';
  select * into a from tool_approvals where id = p_approval_id;
  return to_jsonb(a);
end $$;

select app_restrict_functions(array['tool_approval_create', 'tool_approval_get', 'tool_approval_decide', 'tool_approval_expire']);
