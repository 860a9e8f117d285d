import { AppError } from '../errors.js';

/**
 * Every SQL function the app calls, with the named arguments it may send. Transports refuse anything not
 * listed here, and a test checks each entry against pg_proc after the migrations ran, so the Supabase
 * transport can never send an rpc the database does not have.
 */
export const RPC = {
  app_schema_version: [],
  app_schema_check: ['p_functions'],
  app_ping: [],
  run_start: ['p_workspace_id', 'p_surface', 'p_event_id', 'p_channel_id', 'p_message_ts', 'p_thread_ts', 'p_user_id',
    'p_request_text', 'p_kind', 'p_lease_seconds'],
  run_add_step: ['p_run_id', 'p_kind', 'p_status', 'p_name', 'p_agent_id', 'p_agent_version', 'p_model', 'p_tokens_in',
    'p_tokens_out', 'p_cost_usd', 'p_latency_ms', 'p_error_class', 'p_detail'],
  run_finish: ['p_run_id', 'p_status', 'p_route', 'p_route_reason', 'p_agent_ids', 'p_error_class', 'p_error_message',
    'p_latency_ms', 'p_answer_ts', 'p_delivered', 'p_workflow_id', 'p_answer_text'],
  run_get: ['p_run_id'],
  run_record_serving: ['p_run_id', 'p_route', 'p_route_reason', 'p_agent', 'p_workflow_id', 'p_workflow_version', 'p_experiment_id',
    'p_experiment_arm', 'p_serving'],
  run_thread_known: ['p_workspace_id', 'p_channel_id', 'p_thread_ts'],
  run_thread_agent: ['p_workspace_id', 'p_channel_id', 'p_thread_ts'],
  run_find: ['p_workspace_id', 'p_event_id', 'p_channel_id', 'p_message_ts'],
  agent_save: ['p_config', 'p_status'],
  agent_get: ['p_agent_id', 'p_version'],
  agent_current_versions: ['p_agent_ids'],
  agent_list: ['p_limit', 'p_offset'],
  agent_search: ['p_query', 'p_limit'],
  agent_promote: ['p_agent_id', 'p_version', 'p_actor', 'p_reason'],
  agent_rollback: ['p_agent_id', 'p_version', 'p_actor', 'p_reason'],
  agent_reject: ['p_agent_id', 'p_version', 'p_actor', 'p_reason'],
  agent_statuses: ['p_refs'],
  agent_history: ['p_agent_id', 'p_limit'],
  lineage_add: ['p_child_kind', 'p_child_id', 'p_relation', 'p_parent_kind', 'p_parent_id', 'p_reason'],
  lineage_of: ['p_kind', 'p_id'],
  goal_create: ['p_run_id', 'p_workspace_id', 'p_request_text', 'p_plan', 'p_budget', 'p_owner', 'p_channel_id', 'p_thread_ts',
    'p_user_id', 'p_lease_seconds'],
  goal_update: ['p_goal_id', 'p_owner', 'p_status', 'p_stop_reason', 'p_usage', 'p_progress_ts', 'p_final_answer', 'p_lease_seconds'],
  task_update: ['p_goal_id', 'p_task_id', 'p_owner', 'p_status', 'p_agent_id', 'p_result', 'p_error_class', 'p_tokens_in',
    'p_tokens_out', 'p_cost_usd', 'p_attempts'],
  goal_get: ['p_goal_id'],
  goal_request_cancel: ['p_goal_id', 'p_user_id'],
  goal_claim_stale: ['p_owner', 'p_lease_seconds', 'p_limit'],
  goal_release: ['p_goal_id', 'p_owner'],
  workspace_goal_budget: ['p_workspace_id'],
  run_renew_lease: ['p_run_id', 'p_lease_seconds'],
  // Feedback, workflows, metrics (supabase/migrations/20261122000500_feedback_workflows_metrics.sql).
  run_latest_for_user: ['p_workspace_id', 'p_channel_id', 'p_user_id', 'p_thread_ts'],
  feedback_record: ['p_run_id', 'p_workspace_id', 'p_user_id', 'p_source', 'p_rating', 'p_text', 'p_category', 'p_dedupe_key'],
  goal_plan_for_run: ['p_run_id'],
  workflow_save: ['p_workspace_id', 'p_name', 'p_graph', 'p_kind', 'p_description', 'p_triggers', 'p_source_run_id', 'p_created_by',
    'p_replace'],
  workflow_get: ['p_workspace_id', 'p_name'],
  workflow_list: ['p_workspace_id', 'p_status'],
  workflow_delete: ['p_workspace_id', 'p_name'],
  workflow_record_use: ['p_workflow_id', 'p_run_id', 'p_succeeded'],
  workflow_get_by_id: ['p_workflow_id'],
  workflow_set_status: ['p_workflow_id', 'p_status', 'p_actor', 'p_reason'],
  workflow_rollback: ['p_workflow_id', 'p_version', 'p_actor', 'p_reason'],
  metrics_report: ['p_workspace_id', 'p_hours', 'p_agent_id'],
  experiment_create: ['p_target_kind', 'p_target_id', 'p_control_version', 'p_candidate_version', 'p_share', 'p_enhancement_id'],
  experiment_running: ['p_target_kind', 'p_target_id'],
  experiment_assign: ['p_experiment_id', 'p_unit_key'],
  job_claim: ['p_job', 'p_holder', 'p_slot', 'p_lease_seconds'],
  job_renew: ['p_job', 'p_generation', 'p_lease_seconds'],
  job_finish: ['p_job', 'p_generation', 'p_rows_read', 'p_findings', 'p_proposals', 'p_error', 'p_detail', 'p_run_id'],
  analyst_runs_latest: ['p_limit'],
  analyst_errors: ['p_job', 'p_generation', 'p_min_occurrences', 'p_batch', 'p_settle_seconds'],
  error_recovery_for: ['p_error_class', 'p_message', 'p_agent_id', 'p_model'],
  error_recovery_record: ['p_signature', 'p_succeeded'],
  error_knowledge_list: ['p_limit'],
  budget_set: ['p_scope', 'p_scope_id', 'p_period', 'p_limit_usd', 'p_action', 'p_created_by'],
  budget_remove: ['p_scope', 'p_scope_id', 'p_period'],
  budget_list: [],
  // No caller since budget_request_status (one read per request); listed because the schema still has it.
  budget_status: ['p_workspace_id', 'p_user_id', 'p_agent_id'],
  budget_request_status: ['p_workspace_id', 'p_user_id'],
  budget_alert_claim: ['p_budget_id', 'p_threshold', 'p_spent_usd'],
  budget_alerts_due: [],
  spend_report: ['p_since', 'p_workspace_id'],
  enhancement_propose: ['p_source', 'p_target_kind', 'p_target_id', 'p_category', 'p_change', 'p_expected_impact', 'p_reasons', 'p_source_run_id'],
  cost_candidates: ['p_since', 'p_min_runs', 'p_min_success'],
  metrics_learning: ['p_workspace_id', 'p_hours', 'p_user_id'],
  analyst_rollup: ['p_job', 'p_generation', 'p_settle_seconds'],
  analyst_workflows: ['p_job', 'p_generation', 'p_thresholds', 'p_min_success', 'p_batch', 'p_settle_seconds'],
  pattern_mark: ['p_pattern_id', 'p_workflow_id', 'p_gap_handled'],
  agent_performance: ['p_since', 'p_min_runs'],
  agent_complaints: ['p_agent_id', 'p_since', 'p_limit'],
  analyst_anomalies: ['p_job', 'p_generation', 'p_factor', 'p_min_runs'],
  digest_report: ['p_since'],
  app_setting_put: ['p_key', 'p_value'],
  run_set_outcome: ['p_run_id', 'p_outcome', 'p_source'],
  outcomes_settle: ['p_window_seconds'],
  run_previous_in_thread: ['p_workspace_id', 'p_channel_id', 'p_thread_ts', 'p_user_id', 'p_before'],
  run_set_answer: ['p_run_id', 'p_answer_text'],
  experiment_stats: ['p_experiment_id'],
  target_stats: ['p_kind', 'p_id', 'p_version', 'p_since'],
  experiment_list: ['p_status', 'p_limit'],
  experiment_finish: ['p_experiment_id', 'p_status', 'p_decision'],
  experiment_traffic: ['p_since'],
  enhancement_update: ['p_enhancement_id', 'p_status', 'p_measured_impact', 'p_reasons', 'p_experiment_id', 'p_approved_by', 'p_change'],
  enhancement_list: ['p_statuses', 'p_limit'],
  enhancement_get: ['p_enhancement_id'],
  replay_sample: ['p_agent_id', 'p_workflow_signature', 'p_since', 'p_limit'],
  cache_lookup: ['p_workspace_id', 'p_agent_ref', 'p_question'],
  cache_fill: ['p_agent_refs', 'p_since', 'p_ttl_seconds'],
  cache_hit: ['p_entry_id', 'p_run_id'],
  cache_candidates: ['p_min_occurrences', 'p_min_success'],
  tool_approval_create: ['p_run_id', 'p_workspace_id', 'p_user_id', 'p_tool', 'p_args', 'p_timeout_seconds', 'p_channel_id', 'p_thread_ts'],
  tool_approval_get: ['p_approval_id'],
  tool_approval_decide: ['p_approval_id', 'p_user_id', 'p_decision'],
  tool_approval_expire: ['p_approval_id'],
  // The run log's outage journal, replayed once the database is back (supabase/migrations/20261201000800_run_journal_replay.sql).
  run_journal_replay: ['p_records'],
} as const satisfies Record<string, readonly string[]>;

export type RpcName = keyof typeof RPC;
export type RpcArgs<N extends RpcName> = { [K in (typeof RPC)[N][number]]?: unknown };

/** The store's one port to a database: call a SQL function by name with named arguments, get its JSON. */
export interface RpcTransport {
  readonly kind: 'pglite' | 'postgres' | 'supabase';
  call<N extends RpcName>(name: N, args?: RpcArgs<N>): Promise<unknown>;
  close(): Promise<void>;
}

/** Drops undefined arguments (the SQL default applies) and refuses names outside the registry. */
export function checkedArgs(name: RpcName, args: Record<string, unknown> = {}): Array<[string, unknown]> {
  const allowed: readonly string[] = RPC[name];
  const entries = Object.entries(args).filter(([, v]) => v !== undefined);
  for (const [key] of entries) {
    if (!allowed.includes(key)) throw new AppError('INTERNAL', `rpc ${name} has no argument ${key}`);
  }
  return entries;
}
