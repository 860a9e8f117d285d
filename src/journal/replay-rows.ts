import type { ReplayRow } from '../store/journal-replay.js';
import type { JournalRecord } from './records.js';

/** A journal record in the shape run_journal_replay reads (the live functions' argument names, without p_). */
export function toReplayRow(record: JournalRecord): ReplayRow {
  const base = { id: record.id, run_id: record.runId, at: record.at };
  switch (record.type) {
    case 'start': {
      const s = record.start;
      return {
        ...base, type: 'start', workspace_id: s.workspaceId, surface: s.surface, event_id: s.eventId ?? null, channel_id: s.channelId ?? null,
        message_ts: s.messageTs ?? null, thread_ts: s.threadTs ?? null, user_id: s.userId ?? null, request_text: s.requestText ?? '',
        kind: s.kind ?? 'message', lease_seconds: s.leaseSeconds ?? null,
      };
    }
    case 'serving': {
      const r = record.serving;
      return {
        ...base, type: 'serving', route: r.route, route_reason: r.routeReason,
        agent: r.agent ? { agent_id: r.agent.agentId, version: r.agent.version } : null,
        workflow_id: r.workflow?.id ?? null, workflow_version: r.workflow?.version ?? null,
        experiment_id: r.experiment?.id ?? null, experiment_arm: r.experiment?.arm ?? null, serving: r.detail,
      };
    }
    case 'step': {
      const s = record.step;
      return {
        ...base, type: 'step', kind: s.kind, status: s.status, name: s.name ?? null, agent_id: s.agentId ?? null,
        agent_version: s.agentVersion ?? null, model: s.model ?? null, tokens_in: s.tokensIn ?? 0, tokens_out: s.tokensOut ?? 0,
        cost_usd: s.costUsd ?? null, latency_ms: s.latencyMs === undefined ? null : Math.round(s.latencyMs),
        error_class: s.errorClass ?? null, detail: s.detail ?? {},
      };
    }
    case 'finish': {
      const f = record.finish;
      return {
        ...base, type: 'finish', status: f.status, route: f.route ?? null, route_reason: f.routeReason ?? null,
        agent_ids: f.agentIds ?? null, error_class: f.errorClass ?? null, error_message: f.errorMessage ?? null,
        latency_ms: f.latencyMs === undefined ? null : Math.round(f.latencyMs), answer_ts: f.answerTs ?? null,
        delivered: f.delivered ?? null, workflow_id: f.workflowId ?? null,
      };
    }
    case 'answer':
      return { ...base, type: 'answer', answer_text: record.text };
  }
}
