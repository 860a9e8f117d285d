import { camelize, numberOrNull } from './rows.js';
import type { RpcTransport } from './rpc.js';

export type AgentStatus = 'current' | 'candidate' | 'archived';
export type AgentOrigin = 'seed' | 'user' | 'spawned' | 'analyst' | 'experiment';
export type Relation = 'inherits' | 'enhances' | 'replaces' | 'composes' | 'depends_on' | 'triggers';
export type LineageKind = 'agent' | 'workflow';

/** One version of a specialist: everything needed to build its universal agent. */
export interface AgentConfig {
  id: string;
  agentId: string;
  version: number;
  status: AgentStatus;
  specialty: string;
  description: string;
  systemPrompt: string;
  /** Null: use the configured default model. */
  model: string | null;
  temperature: number;
  maxTokens: number | null;
  tools: string[];
  origin: AgentOrigin;
  notes: string | null;
  createdAt: string;
}

export interface AgentDraft {
  agentId: string;
  specialty: string;
  description: string;
  systemPrompt: string;
  model?: string | null;
  temperature?: number;
  maxTokens?: number | null;
  tools?: string[];
  origin?: AgentOrigin;
  notes?: string;
}

export interface AgentSummary {
  agentId: string;
  version: number;
  specialty: string;
  description: string;
  model: string | null;
  tools: string[];
  origin: AgentOrigin;
}

export interface AgentMatch {
  agentId: string;
  version: number;
  specialty: string;
  description: string;
  rank: number;
}

export interface LineageEdge {
  id: number;
  childKind: LineageKind;
  childId: string;
  relation: Relation;
  parentKind: LineageKind;
  parentId: string;
  reason: string | null;
  createdAt: string;
}

/** The outcome of a promotion, rollback or rejection. */
export type VersionChange =
  | { ok: true; fromVersion: number | null; agent: AgentConfig }
  | { ok: false; reason: 'no_such_version' | 'not_candidate' | 'already_current'; status?: AgentStatus };

export interface AgentVersionSummary {
  version: number;
  status: AgentStatus;
  model: string | null;
  origin: AgentOrigin;
  notes: string | null;
  createdAt: string;
}

/** One row of config_changes: who or what changed which version, and why. */
export interface ConfigChange {
  id: number;
  targetKind: 'agent' | 'workflow';
  targetId: string;
  action: 'promote' | 'rollback' | 'reject' | 'activate' | 'archive';
  fromVersion: number | null;
  toVersion: number | null;
  actor: string;
  reason: string | null;
  createdAt: string;
}

function toChange(row: unknown): VersionChange {
  const r = row as { ok: boolean; reason?: string; status?: AgentStatus; from_version?: number | null; agent?: unknown };
  if (!r.ok) return { ok: false, reason: r.reason as 'no_such_version', ...(r.status ? { status: r.status } : {}) };
  return { ok: true, fromVersion: r.from_version ?? null, agent: toAgent(r.agent) };
}

function toAgent(row: unknown): AgentConfig {
  const agent = camelize<AgentConfig>(row);
  agent.temperature = numberOrNull(agent.temperature) ?? 0.3;
  return agent;
}

/** Versioned agent configurations and the lineage between agents and workflows. */
export class AgentStore {
  constructor(private readonly rpc: RpcTransport) {}

  /** Stores a new version (the previous current one is archived unless status is 'candidate'). */
  async save(draft: AgentDraft, status: 'current' | 'candidate' = 'current'): Promise<AgentConfig> {
    return toAgent(await this.rpc.call('agent_save', {
      p_config: {
        agent_id: draft.agentId,
        specialty: draft.specialty,
        description: draft.description,
        system_prompt: draft.systemPrompt,
        model: draft.model ?? null,
        temperature: draft.temperature,
        max_tokens: draft.maxTokens ?? null,
        tools: draft.tools ?? [],
        origin: draft.origin ?? 'user',
        notes: draft.notes ?? null,
      },
      p_status: status,
    }));
  }

  async get(agentId: string, version?: number): Promise<AgentConfig | null> {
    const row = await this.rpc.call('agent_get', { p_agent_id: agentId, p_version: version });
    return row ? toAgent(row) : null;
  }

  /** Status of each "agent@version" key ({"general@3": "current"}); keys with no such version are absent. */
  async statuses(keys: string[]): Promise<Record<string, AgentStatus>> {
    if (keys.length === 0) return {};
    return (await this.rpc.call('agent_statuses', { p_refs: keys })) as Record<string, AgentStatus>;
  }

  /** A candidate version becomes current (the current one is archived), atomically, recorded with who and why. */
  async promote(agentId: string, version: number, actor: string, reason?: string): Promise<VersionChange> {
    return toChange(await this.rpc.call('agent_promote', { p_agent_id: agentId, p_version: version, p_actor: actor, p_reason: reason }));
  }

  /** A named earlier version becomes current again (the current one is archived), atomically, recorded with who and why. */
  async rollback(agentId: string, version: number, actor: string, reason?: string): Promise<VersionChange> {
    return toChange(await this.rpc.call('agent_rollback', { p_agent_id: agentId, p_version: version, p_actor: actor, p_reason: reason }));
  }

  /** A candidate that lost its experiment is archived (never served again), recorded with who and why. */
  async reject(agentId: string, version: number, actor: string, reason?: string): Promise<VersionChange> {
    return toChange(await this.rpc.call('agent_reject', { p_agent_id: agentId, p_version: version, p_actor: actor, p_reason: reason }));
  }

  /** An agent's versions (newest first, without prompts) and the changes made to them. */
  async history(agentId: string, limit = 20): Promise<{ versions: AgentVersionSummary[]; changes: ConfigChange[] }> {
    const row = (await this.rpc.call('agent_history', { p_agent_id: agentId, p_limit: limit })) as { versions: unknown[]; changes: unknown[] };
    return { versions: row.versions.map((v) => camelize<AgentVersionSummary>(v)), changes: row.changes.map((c) => camelize<ConfigChange>(c)) };
  }

  async currentVersions(agentIds: string[]): Promise<Record<string, number>> {
    if (agentIds.length === 0) return {};
    return (await this.rpc.call('agent_current_versions', { p_agent_ids: agentIds })) as Record<string, number>;
  }

  async list(page: { limit?: number; offset?: number } = {}): Promise<{ total: number; agents: AgentSummary[] }> {
    const result = (await this.rpc.call('agent_list', { p_limit: page.limit, p_offset: page.offset })) as {
      total: number;
      agents: unknown[];
    };
    return { total: Number(result.total), agents: result.agents.map((a) => camelize<AgentSummary>(a)) };
  }

  /** Current agents whose specialty/description share words with the text, best first (full-text search). */
  async search(text: string, limit = 5): Promise<AgentMatch[]> {
    const rows = (await this.rpc.call('agent_search', { p_query: text, p_limit: limit })) as unknown[];
    return rows.map((r) => {
      const match = camelize<AgentMatch>(r);
      match.rank = Number(match.rank);
      return match;
    });
  }

  async addLineage(edge: {
    childKind: LineageKind; childId: string; relation: Relation; parentKind: LineageKind; parentId: string; reason?: string;
  }): Promise<LineageEdge> {
    return camelize<LineageEdge>(await this.rpc.call('lineage_add', {
      p_child_kind: edge.childKind,
      p_child_id: edge.childId,
      p_relation: edge.relation,
      p_parent_kind: edge.parentKind,
      p_parent_id: edge.parentId,
      p_reason: edge.reason,
    }));
  }

  async lineageOf(kind: LineageKind, id: string): Promise<{ parents: LineageEdge[]; children: LineageEdge[] }> {
    const result = (await this.rpc.call('lineage_of', { p_kind: kind, p_id: id })) as { parents: unknown[]; children: unknown[] };
    return {
      parents: result.parents.map((e) => camelize<LineageEdge>(e)),
      children: result.children.map((e) => camelize<LineageEdge>(e)),
    };
  }
}
