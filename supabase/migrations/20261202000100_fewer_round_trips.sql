-- Fewer statements per answered request. bench:overhead counted 11 statements per answer on the fast path; two of
-- them only repeated what another one could carry:
--   1. The delivered answer's text (kept for the response cache and screening) was a second statement after
--      run_finish (run_set_answer). run_finish now takes it; run_set_answer stays (the journal's replay calls it).
--   2. Budgets were read twice per request: before routing (global, workspace, user) and again once the agent was
--      chosen (the same rows, plus the agent's). budget_request_status returns the first set and every agent
--      budget, so the one read before routing also answers for whichever agent is chosen.

-- run_finish with the answer text. Same arguments as before plus p_answer_text; the old signature is dropped so
-- a call by argument names resolves to exactly one function (an overload with one more defaulted argument would
-- make every existing call ambiguous).
drop function if exists run_finish(uuid, text, text, text, jsonb, text, text, integer, text, boolean, uuid);
create or replace function run_finish(
  p_run_id uuid,
  p_status text,
  p_route text default null,
  p_route_reason text default null,
  p_agent_ids jsonb default null,
  p_error_class text default null,
  p_error_message text default null,
  p_latency_ms integer default null,
  p_answer_ts text default null,
  p_delivered boolean default null,
  p_workflow_id uuid default null,
  p_answer_text text default null
) returns jsonb
language plpgsql as $$
declare
  r runs;
begin
  update runs u set
    status         = p_status,
    route          = coalesce(p_route, u.route),
    route_reason   = coalesce(p_route_reason, u.route_reason),
    agent_ids      = coalesce(array(select jsonb_array_elements_text(p_agent_ids)), u.agent_ids),
    error_class    = p_error_class,
    error_message  = left(p_error_message, 2000),
    latency_ms     = coalesce(p_latency_ms, (extract(epoch from (now() - u.started_at)) * 1000)::integer),
    answer_ts      = coalesce(p_answer_ts, u.answer_ts),
    answer_text    = coalesce(left(p_answer_text, 8000), u.answer_text),
    delivered      = coalesce(p_delivered, u.delivered),
    workflow_id    = coalesce(p_workflow_id, u.workflow_id),
    finished_at    = now(),
    lease_expires_at = null,
    tokens_in      = t.tokens_in,
    tokens_out     = t.tokens_out,
    cost_usd       = t.cost_usd,
    cost_unknown_steps = t.unknown,
    models         = t.models,
    agent_versions = (
      select coalesce(jsonb_agg(jsonb_build_object('agent_id', a.agent_id, 'version', a.version) order by a.agent_id, a.version), '[]'::jsonb)
        from (select distinct agent_id, agent_version as version from run_steps
               where run_id = p_run_id and agent_id is not null and agent_version is not null
              union
              select e->>'agent_id', (e->>'version')::integer from jsonb_array_elements(u.agent_versions) e) a)
  from (
    select coalesce(sum(tokens_in), 0)::integer as tokens_in,
           coalesce(sum(tokens_out), 0)::integer as tokens_out,
           coalesce(sum(cost_usd), 0) as cost_usd,
           (count(*) filter (where model is not null and cost_usd is null))::integer as unknown,
           coalesce(array_agg(distinct model) filter (where model is not null), '{}') as models
      from run_steps where run_id = p_run_id
  ) t
  where u.id = p_run_id
  returning u.* into r;
  if not found then
    raise exception 'run_finish: no run %', p_run_id using errcode = 'P0002';
  end if;
  return to_jsonb(r);
end $$;

-- The budgets that may cover one request before its agent is known: global, the workspace's, the person's, and
-- every agent budget (few; the caller keeps the chosen agent's). Spend as budget_status computes it.
create or replace function budget_request_status(p_workspace_id text, p_user_id text default null) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(budget_view(b) order by b.scope, b.period), '[]'::jsonb) from budgets b
   where b.scope = 'global' or b.scope = 'agent' or (b.scope = 'workspace' and b.scope_id = p_workspace_id)
      or (b.scope = 'user' and b.scope_id = p_user_id)
$$;

create or replace function app_schema_version() returns jsonb
language sql stable as $$ select jsonb_build_object('version', 11) $$;

select app_restrict_functions(array['run_finish', 'budget_request_status', 'app_schema_version']);
