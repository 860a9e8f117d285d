/**
 * The synthetic run log of bench:analysts, as set-based SQL (insert … select from generate_series): never a
 * row at a time from node, so seeding costs the database's time, not the bench process's memory.
 *
 * Shape (per run): kind mostly message (3 % goal, 2 % workflow, 1 % command); ~86 % succeeded; 30 agents with
 * Zipf skew (a request template has a primary agent, 90 % of its runs go there); request texts from 3,000 message
 * templates and 150 goal templates with Zipf skew and a few rephrasings, so patterns recur; lognormal tokens and
 * latency; a realistic error mix on failures (context overflow carries its token count, server errors a request
 * UUID, rate limits their figures); 1–3 steps (model, tool, model); feedback on 3 % (ratings skewed, complaints
 * on the low ones); a plan for every goal; outcomes set as the improvement loop would. Two planted signals: agent
 * #7 underperforms (62 % success, more corrections), agent #3 fails half its runs in the last two hours of the
 * bulk (an anomaly). Randomness is seeded per chunk (setseed), so a given --runs seeds the same log every time.
 */

export const MESSAGE_TEMPLATES = 3000;
export const GOAL_TEMPLATES = 150;
export const AGENTS = 30;

const VERBS = ['summarize', 'draft', 'review', 'explain', 'translate', 'compare', 'analyze', 'outline', 'rewrite', 'estimate', 'plan',
  'debug', 'list', 'check', 'prepare', 'forecast', 'reconcile', 'document', 'classify', 'extract', 'schedule', 'prioritize', 'proofread',
  'benchmark', 'audit'];
const OBJECTS = ['the incident report', 'our onboarding guide', 'the Q3 sales numbers', 'this pull request', 'the customer email',
  'the release notes', 'the pricing page', 'the vendor contract', 'the sprint backlog', 'the hiring plan', 'the marketing brief',
  'the API error logs', 'the board deck', 'the churn analysis', 'the support tickets', 'the security review', 'the product roadmap',
  'the budget spreadsheet', 'the meeting notes', 'the product spec', 'the quarterly OKRs', 'the on-call runbook', 'the survey results',
  'the partner proposal', 'the data pipeline', 'the payroll ledger', 'the invoice backlog', 'the launch checklist', 'the competitor landscape',
  'the retention cohort', 'the expense policy', 'the SQL migration', 'the design doc', 'the travel itinerary', 'the press release',
  'the weekly status update', 'the capacity forecast', 'the refund requests', 'the feature flags', 'the sales pipeline'];
const QUALIFIERS = ['', ' for the leadership team', ' in three bullet points'];
const TOOLS = ['web_search', 'calculator', 'slack_read_thread', 'current_time', 'user_lookup'];

const sqlArray = (xs: string[]) => `array[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(', ')}]`;

/** Helper tables (schema bench): agents with their models and prices, request templates, the staging table; plus the
 *  synthetic specialists' agent_configs, six saved workflows and four budgets in the app's own tables. */
export function setupSql(): string {
  return `
select setseed(0.4242);
create schema if not exists bench;
create table bench.agents (idx int primary key, agent_id text not null, version int not null, config_model text, run_model text not null,
                           price_in numeric, price_out numeric);
insert into bench.agents
select i, case i when 0 then 'general' when 1 then 'research' when 2 then 'writing' when 3 then 'coding' when 4 then 'data-analysis'
              when 5 then 'summarizer' else 'specialist-' || lpad(i::text, 2, '0') end,
       case when i >= 6 and i % 4 = 0 then 2 else 1 end,
       case when i < 6 then null else m.model end, m.model, m.pin, m.pout
  from generate_series(0, ${AGENTS - 1}) i
  join (values (0, 'gpt-4.1-mini', 0.4, 1.6), (1, 'gpt-4.1', 2.0, 8.0), (2, 'gpt-4o-mini', 0.15, 0.6), (3, 'gpt-5-mini', 0.25, 2.0),
               (4, 'llama-3.1-70b-local', null, null)) m(k, model, pin, pout)
    on m.k = case when i < 6 then 0 when i = 13 then 4 else i % 4 end;

-- The synthetic specialists exist as agent configs (the six built-in ones come from supabase/seed.sql).
insert into agent_configs (agent_id, version, status, specialty, description, system_prompt, model, origin)
select a.agent_id, v, case when v = a.version then 'current' else 'archived' end, 'specialty ' || a.idx,
       'Synthetic specialist ' || a.idx || ' of the analysts bench.', 'You are specialist ' || a.idx || '.', a.config_model, 'seed'
  from bench.agents a cross join generate_series(1, a.version) v where a.idx >= 6;

create table bench.templates (kind text, idx int, text text not null, agent_idx int not null, plan jsonb, primary key (kind, idx));
insert into bench.templates (kind, idx, text, agent_idx)
select 'message', t, (${sqlArray(VERBS)})[1 + t % ${VERBS.length}] || ' ' || (${sqlArray(OBJECTS)})[1 + (t / ${VERBS.length}) % ${OBJECTS.length}]
         || (${sqlArray(QUALIFIERS)})[1 + t / ${VERBS.length * OBJECTS.length}],
       least(floor(power(${AGENTS + 1}, random()))::int - 1, ${AGENTS - 1})
  from generate_series(0, ${MESSAGE_TEMPLATES - 1}) t;
insert into bench.templates (kind, idx, text, agent_idx, plan)
select 'goal', t, x.text, least(floor(power(${AGENTS + 1}, random()))::int - 1, ${AGENTS - 1}),
       jsonb_build_object('title', x.text, 'tasks', jsonb_build_array(
         jsonb_build_object('id', 't1', 'title', 'Gather ' || x.o1, 'instructions', 'Collect what is needed about ' || x.o1, 'specialty', 'research',
                            'depends_on', '[]'::jsonb, 'level', 'tactical', 'done_when', 'the facts are listed'),
         jsonb_build_object('id', 't2', 'title', initcap(x.v2) || ' ' || x.o2, 'instructions', x.v2 || ' ' || x.o2 || ' from what t1 found',
                            'specialty', 'writing', 'depends_on', '["t1"]'::jsonb, 'level', 'operational', 'done_when', 'a draft is ready')))
  from generate_series(0, ${GOAL_TEMPLATES - 1}) t
  cross join lateral (select (${sqlArray(OBJECTS)})[1 + t % ${OBJECTS.length}] as o1, (${sqlArray(VERBS)})[1 + (t * 7) % ${VERBS.length}] as v2,
                             (${sqlArray(OBJECTS)})[1 + (t * 11 + 3) % ${OBJECTS.length}] as o2) p
  cross join lateral (select 'plan: gather ' || p.o1 || ' and ' || p.v2 || ' ' || p.o2 as text, p.o1, p.v2, p.o2) x;

insert into workflows (id, workspace_id, name, kind, status, graph, triggers, created_by)
select md5('bench-wf-' || i)::uuid, case when i < 4 then 'T1' else 'T2' end, 'bench-workflow-' || i, 'saved', 'active', t.plan, array[t.text], 'bench'
  from generate_series(0, 5) i join bench.templates t on t.kind = 'goal' and t.idx = i;

insert into budgets (scope, scope_id, period, limit_usd, action, created_by) values
  ('global', '*', 'monthly', 5000, 'warn', 'bench'), ('workspace', 'T1', 'daily', 50, 'warn', 'bench'),
  ('user', 'U0000', 'daily', 2, 'refuse', 'bench'), ('agent', 'research', 'monthly', 300, 'downgrade', 'bench');

create unlogged table bench.stage (
  n int, id uuid, kind text, workspace_id text, user_id text, channel_id text, request_text text, agent_id text, agent_version int,
  model text, price_in numeric, steps int, tokens_in int, tokens_out int, cost_usd numeric, latency_ms int, started_at timestamptz,
  finished_at timestamptz, status text, error_class text, error_message text, rating int, fb_text text, fb_category text, outcome text,
  workflow_id uuid, plan jsonb, tool text);
`;
}

export interface Chunk {
  /** Run numbers [lo, hi): ids and message_ts derive from them, so chunks never collide. */
  lo: number;
  hi: number;
  /** The whole load this chunk belongs to: runs [from, from + count) finish in run-number order over
   *  (end - spanSeconds, end] (epoch seconds), so the table is in time order on disk, as a live log is. */
  from: number;
  count: number;
  endEpoch: number;
  spanSeconds: number;
  /** Runs of agent #3 finished after this (epoch seconds) fail half the time (the planted anomaly); null: none. */
  spikeAfterEpoch: number | null;
}

/** One chunk of runs: drawn into bench.stage, then written to runs, run_steps, feedback and goals. */
export function chunkSql(c: Chunk): string {
  const seed = ((c.lo * 7919 + c.hi) % 1999) / 1000 - 0.999;
  const spike = c.spikeAfterEpoch === null ? 'false' : `fin_epoch > ${c.spikeAfterEpoch}`;
  const normal = (a: string, b: string) => `sqrt(-2 * ln(greatest(${a}, 1e-12))) * cos(2 * pi() * ${b})`;
  return `
select setseed(${seed.toFixed(6)});
truncate bench.stage;
insert into bench.stage
with g as materialized (
  select n, random() as u_kind, random() as u_tmpl, random() as u_var, random() as u_pick, random() as u_agent, random() as u_status,
         random() as u_err, random() as u_user, random() as u_ws, random() as u_time, random() as u_steps, random() as u_fb,
         random() as u_rating, random() as u_outcome, random() as u_num, random() as u_wf,
         random() as z1, random() as z2, random() as z3, random() as z4, random() as z5, random() as z6
    from generate_series(${c.lo}, ${c.hi - 1}) n
), k as materialized (
  select g.*, case when u_kind < 0.03 then 'goal' when u_kind < 0.05 then 'workflow' when u_kind < 0.06 then 'command' else 'message' end as kind,
         ${c.endEpoch - c.spanSeconds} + (n - ${c.from} + u_time) * ${c.spanSeconds / c.count} as fin_epoch,
         ${normal('z1', 'z2')} as n1, ${normal('z3', 'z4')} as n2, ${normal('z5', 'z6')} as n3
    from g
), t as materialized (
  select k.*, tp.text as tmpl_text, tp.plan,
         case when k.kind = 'command' then null when u_pick < 0.9 then tp.agent_idx
              else least(floor(power(${AGENTS + 1}, u_agent))::int - 1, ${AGENTS - 1}) end as agent_idx
    from k left join bench.templates tp
      on tp.kind = case k.kind when 'goal' then 'goal' else 'message' end
     and tp.idx = case k.kind when 'goal' then least(floor(power(${GOAL_TEMPLATES + 1}, u_tmpl))::int - 1, ${GOAL_TEMPLATES - 1})
                              else least(floor(power(${MESSAGE_TEMPLATES + 1}, u_tmpl))::int - 1, ${MESSAGE_TEMPLATES - 1}) end
), a as materialized (
  select t.*, ag.agent_id, ag.version as agent_version, coalesce(ag.run_model, 'gpt-4.1-mini') as model, ag.price_in, ag.price_out,
         case when t.kind = 'command' then 0.99 when t.agent_idx = 7 then 0.62 when t.agent_idx = 3 and ${spike} then 0.5
              when t.kind = 'goal' then 0.8 else 0.87 end as p_ok
    from t left join bench.agents ag on ag.idx = t.agent_idx
), s as materialized (
  select a.*, case when u_status < p_ok then 'succeeded'
                   when (u_status - p_ok) / (1 - p_ok) < 0.75 then 'failed'
                   when (u_status - p_ok) / (1 - p_ok) < 0.87 then 'refused'
                   when (u_status - p_ok) / (1 - p_ok) < 0.95 then 'cancelled' else 'interrupted' end as status
    from a
), e as materialized (
  select s.*, case s.status
      when 'succeeded' then null
      when 'failed' then case when s.kind = 'goal' and u_err < 0.4 then 'GOAL_FAILED' when u_err < 0.25 then 'MODEL_TIMEOUT'
                              when u_err < 0.43 then 'MODEL_RATE_LIMITED' when u_err < 0.56 then 'MODEL_SERVER_ERROR'
                              when u_err < 0.72 then 'MODEL_CONTEXT_OVERFLOW' when u_err < 0.84 then 'TOOL_FAILED'
                              when u_err < 0.92 then 'MODEL_BAD_OUTPUT' else 'INPUT_INVALID' end
      when 'refused' then case when u_err < 0.7 then 'AGENT_BUSY' else 'BUDGET_EXCEEDED' end
      when 'cancelled' then 'CANCELLED' else 'SHUTTING_DOWN' end as error_class,
    (${sqlArray(TOOLS)})[1 + (n % ${TOOLS.length})] as tool
    from s
), l as materialized (
  select e.*,
         case when error_class = 'MODEL_TIMEOUT' then 30000 + floor(u_num * 30000)::int
              else greatest(80, exp(ln(case kind when 'goal' then 12000 when 'command' then 150 else 1800 end) + 0.75 * n3))::int end as latency_ms,
         case when kind = 'command' then 0 when kind = 'goal' then 3 when u_steps < 0.6 then 1 when u_steps < 0.85 then 2 else 3 end as steps,
         case when kind = 'command' then 0 else greatest(50, exp(ln(case kind when 'goal' then 3600 else 1200 end) + 0.9 * n1))::int end as tokens_in,
         case when kind = 'command' or error_class = 'MODEL_CONTEXT_OVERFLOW' then 0 else greatest(5, exp(ln(250) + 0.7 * n2))::int end as tokens_out
    from e
)
select n, md5('bench-run-' || n)::uuid, kind,
       case when u_ws < 0.7 then 'T1' when u_ws < 0.95 then 'T2' else 'T3' end,
       'U' || lpad(least(floor(power(2001, u_user))::int - 1, 1999)::text, 4, '0'),
       'C' || lpad((least(floor(power(2001, u_user))::int - 1, 1999) % 50)::text, 2, '0'),
       case when kind = 'command' then '/improver metrics'
            when u_var < 0.7 then tmpl_text
            else (array['Can you ', 'Please ', 'Hey, could you '])[1 + floor((u_var - 0.7) / 0.1)::int] || tmpl_text end,
       agent_id, agent_version, case when kind = 'command' then null else model end, price_in, steps, tokens_in, tokens_out,
       case when price_in is null then 0 else round((tokens_in * price_in + tokens_out * price_out) / 1e6, 6) end,
       latency_ms,
       to_timestamp(fin_epoch) - make_interval(secs => latency_ms / 1000.0), to_timestamp(fin_epoch), status, error_class,
       case error_class
         when 'MODEL_CONTEXT_OVERFLOW' then format('This model''s maximum context length is 128000 tokens. However, your messages resulted in %s tokens. Please reduce the length of the messages.', 128001 + floor(u_num * 60000)::int)
         when 'MODEL_TIMEOUT' then format('Request timed out after %s ms', latency_ms)
         when 'MODEL_RATE_LIMITED' then format('Rate limit reached for %s in organization org-bench on tokens per min (TPM): Limit 200000, Used %s, Requested %s. Please try again in %sms.', model, 190000 + floor(u_num * 10000)::int, 1000 + floor(u_num * 9000)::int, 100 + floor(u_num * 900)::int)
         when 'MODEL_SERVER_ERROR' then format('The server had an error while processing your request. Sorry about that! (request id %s)', md5('req' || n)::uuid)
         when 'TOOL_FAILED' then format('Tool %s failed: upstream returned HTTP %s', tool, 500 + floor(u_num * 4)::int)
         when 'MODEL_BAD_OUTPUT' then 'The model returned output that does not match the expected schema'
         when 'INPUT_INVALID' then 'The request is empty or could not be understood'
         when 'GOAL_FAILED' then format('Goal stopped: task t%s failed after %s attempts', 1 + floor(u_num * 2)::int, 2 + floor(u_num * 2)::int)
         when 'AGENT_BUSY' then format('Agent %s is at capacity (%s runs waiting)', agent_id, 10 + floor(u_num * 40)::int)
         when 'BUDGET_EXCEEDED' then 'The daily budget of this user is spent'
         when 'CANCELLED' then 'Cancelled by the user'
         when 'SHUTTING_DOWN' then 'The instance shut down before the run finished' end,
       r.rating,
       case when r.rating <= 2 then (array['Not what I asked for', 'Far too long', 'The numbers are wrong', 'Missed the point'])[1 + floor(u_num * 4)::int] end,
       case when r.rating <= 2 then 'wrong' end,
       case when status = 'failed' then 'failed' when status <> 'succeeded' then null
            when u_outcome < case when agent_idx = 7 then 0.2 else 0.06 end then 'corrected' when u_outcome < 0.8 then 'accepted' end,
       case when kind = 'workflow' then md5('bench-wf-' || floor(u_wf * 6)::int)::uuid end,
       plan, tool
  from l
  cross join lateral (select case when kind = 'command' or u_fb >= 0.03 then null
      when status = 'succeeded' and agent_idx <> 7 then case when u_rating < 0.45 then 5 when u_rating < 0.75 then 4 when u_rating < 0.87 then 3 when u_rating < 0.95 then 2 else 1 end
      else case when u_rating < 0.45 then 1 when u_rating < 0.8 then 2 when u_rating < 0.95 then 3 else 4 end end as rating) r;

-- Bulk load: the rows are consistent by construction, so foreign-key triggers are skipped for the load only.
set session_replication_role = replica;

insert into runs (id, workspace_id, surface, channel_id, message_ts, user_id, request_text, kind, route, agent_ids, agent_versions, models,
                  workflow_id, status, error_class, error_message, tokens_in, tokens_out, cost_usd, cost_unknown_steps, latency_ms,
                  started_at, finished_at, step_count, outcome, outcome_at, delivered)
select id, workspace_id, 'slack', channel_id, floor(extract(epoch from started_at))::bigint || '.' || lpad(n::text, 7, '0'), user_id, request_text, kind,
       case kind when 'goal' then 'goal' when 'workflow' then 'workflow' when 'command' then 'command' else 'direct' end,
       case when agent_id is null then '{}'::text[] else array[agent_id] end,
       case when agent_id is null then '[]'::jsonb else jsonb_build_array(jsonb_build_object('agent_id', agent_id, 'version', agent_version)) end,
       case when model is null then '{}'::text[] else array[model] end,
       workflow_id, status, error_class, error_message, tokens_in, tokens_out, cost_usd,
       case when price_in is null and model is not null then case when steps = 3 then 2 else 1 end else 0 end,
       latency_ms, started_at, finished_at, steps, outcome, case when outcome is not null then finished_at + interval '10 minutes' end,
       status = 'succeeded'
  from bench.stage;

insert into run_steps (run_id, seq, kind, name, agent_id, agent_version, model, tokens_in, tokens_out, cost_usd, latency_ms, status, error_class, created_at)
select s.id, q,
       case when q = 2 then 'tool' when s.kind = 'goal' and q = 1 then 'plan' when s.kind = 'goal' and q = 3 then 'synthesis' else 'model' end,
       case when q = 2 then s.tool end,
       case when q <> 2 then s.agent_id end, case when q <> 2 then s.agent_version end, case when q <> 2 then s.model end,
       case q when 1 then round(s.tokens_in * w.first)::int when 3 then s.tokens_in - round(s.tokens_in * w.first)::int else 0 end,
       case q when 1 then round(s.tokens_out * w.first)::int when 3 then s.tokens_out - round(s.tokens_out * w.first)::int else 0 end,
       case when q = 2 or s.price_in is null then null when q = 1 then round(s.cost_usd * w.first, 6) else s.cost_usd - round(s.cost_usd * w.first, 6) end,
       s.latency_ms / s.steps,
       case when q = s.steps and s.status = 'failed' then 'error' else 'ok' end,
       case when q = s.steps and s.status = 'failed' then s.error_class end,
       s.started_at + make_interval(secs => (q - 1) * s.latency_ms / s.steps / 1000.0)
  from bench.stage s
  cross join lateral (select case when s.steps = 3 then 0.6 else 1.0 end as first) w
  cross join lateral generate_series(1, s.steps) q;

insert into feedback (run_id, workspace_id, user_id, rating, text, category, source, created_at)
select id, workspace_id, user_id, rating, fb_text, fb_category, 'button', finished_at + interval '5 minutes' from bench.stage where rating is not null;

insert into goals (run_id, workspace_id, channel_id, user_id, request_text, plan, status, created_at, updated_at)
select id, workspace_id, channel_id, user_id, request_text, plan,
       case status when 'refused' then 'stopped' else status end, started_at, finished_at
  from bench.stage where kind = 'goal';

set session_replication_role = origin;
`;
}

/** What was seeded, counted back from the tables. */
export const COUNTS_SQL = `select (select count(*) from runs where kind <> 'analyst')::int as runs, (select count(*) from run_steps)::int as steps,
  (select count(*) from feedback)::int as feedback, (select count(*) from goals)::int as goals,
  (select count(*) filter (where status = 'failed' and error_class is not null) from runs where kind <> 'analyst')::int as failed,
  (select count(*) from runs where kind in ('message', 'goal', 'workflow'))::int as analysable,
  (select pg_total_relation_size('runs') + pg_total_relation_size('run_steps') + pg_total_relation_size('feedback') + pg_total_relation_size('goals'))::bigint as bytes`;
