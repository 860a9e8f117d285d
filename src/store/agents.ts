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
