import type { RunMeter } from '../model/run-meter.js';
import type { AgentMatch, AgentStore } from '../store/agents.js';
import type { EmbeddingMatcher } from './embedding-matcher.js';

export const FALLBACK_AGENT_ID = 'general';

const SAME_SERVER_FAILURES = new Set(['MODEL_UNREACHABLE', 'MODEL_AUTH_FAILED', 'MODEL_QUOTA_EXCEEDED']);

export interface RouteDecision {
  agentId: string;
  /** direct: clear registry match; router: a model chose among candidates; fallback: nothing matched. */
  route: 'direct' | 'router' | 'fallback';
  reason: string;
  /** The agent's current version, when the registry match read it (so the serving decision need not ask again). */
  version?: number;
}

/** Chooses among close candidates with a model call; only used when the registry match is ambiguous. */
export interface ModelRouter {
  choose(text: string, candidates: AgentMatch[], deadline: number, meter: RunMeter): Promise<{ agentId: string; reason: string }>;
}

export interface RouterOptions {
  /** ts_rank below this is noise (a single common word). */
  minRank?: number;
  /** The top match is "clear" when it beats the runner-up by this factor. */
  clearMargin?: number;
  /** Embeddings (EMBEDDING_MODEL): break ties and find a fit when no word matched, without a chat-model call. */
  embeddings?: EmbeddingMatcher | null;
  /** An embedding choice is clear when it leads the runner-up by this much cosine similarity. */
  embeddingMargin?: number;
  /** Below this similarity nothing fits and the general assistant answers. */
  embeddingFloor?: number;
}

/**
 * Picks the specialist for a request without a model call when the choice is clear: full-text match of the
 * request against every current agent's specialty and description (in SQL, so 1,000+ agents cost one query).
 * Only an ambiguous match (two candidates within the margin) goes to the model router, if one is configured.
 */
export class Router {
  private readonly minRank: number;
  private readonly clearMargin: number;
  private readonly embeddings: EmbeddingMatcher | null;

  constructor(
    private readonly agents: Pick<AgentStore, 'search' | 'list'>,
    private readonly modelRouter: ModelRouter | null,
    private readonly options: RouterOptions = {},
  ) {
    this.minRank = options.minRank ?? 0.01;
    this.clearMargin = options.clearMargin ?? 1.5;
    this.embeddings = options.embeddings ?? null;
  }

  async route(text: string, deadline: number, meter: RunMeter): Promise<RouteDecision> {
    const matches = (await this.agents.search(text, 5)).filter((m) => m.rank >= this.minRank);
    const [top, second] = matches;
    if (!top) return (await this.byEmbedding(text, meter)) ?? { agentId: FALLBACK_AGENT_ID, route: 'fallback', reason: 'no specialist matched the request' };
    if (!second || top.rank >= second.rank * this.clearMargin) {
      return { agentId: top.agentId, version: top.version, route: 'direct', reason: `registry match on "${top.specialty}" (rank ${top.rank.toFixed(3)})` };
    }
    const close = matches.filter((m) => m.rank * this.clearMargin > top.rank);
    const embedded = await this.embeddings?.choose(text, close, meter).catch(() => null);
    if (embedded && embedded.margin >= (this.options.embeddingMargin ?? 0.05)) {
      return { agentId: embedded.agentId, ...versionIn(close, embedded.agentId), route: 'direct', reason: `embedding match among ${close.map((m) => m.agentId).join(', ')} (similarity ${embedded.similarity.toFixed(2)})` };
    }
    if (!this.modelRouter) {
      return { agentId: top.agentId, version: top.version, route: 'direct', reason: `closest registry match on "${top.specialty}" (ambiguous, no router model)` };
    }
    try {
      const choice = await this.modelRouter.choose(text, close, deadline, meter);
      const chosen = close.find((m) => m.agentId === choice.agentId) ?? top;
      return {
        agentId: chosen.agentId,
        version: chosen.version,
        route: 'router',
        reason: `router model chose "${chosen.specialty}" among ${close.map((m) => m.agentId).join(', ')}: ${choice.reason}`.slice(0, 500),
      };
    } catch (error) {
      // The answer goes to the same model server: when it cannot be reached (or refuses our key or quota),
      // asking again from the specialist would only repeat the failure, so the request ends here.
      if (SAME_SERVER_FAILURES.has((error as { code?: string }).code ?? '')) throw error;
      // Routing is an optimisation: if the router model fails otherwise, the best lexical match still answers.
      return { agentId: top.agentId, version: top.version, route: 'direct', reason: `closest registry match on "${top.specialty}" (router model failed)` };
    }
  }

  /** No word matched: the closest specialist by meaning among the first page of the registry, if any is close. */
  private async byEmbedding(text: string, meter: RunMeter): Promise<RouteDecision | null> {
    if (!this.embeddings) return null;
    const { agents } = await this.agents.list({ limit: 200 });
    const choice = await this.embeddings.choose(text, agents, meter).catch(() => null);
    if (!choice || choice.similarity < (this.options.embeddingFloor ?? 0.35)) return null;
    return { agentId: choice.agentId, route: 'direct', reason: `embedding match (similarity ${choice.similarity.toFixed(2)})` };
  }
}

function versionIn(matches: AgentMatch[], agentId: string): { version?: number } {
  const match = matches.find((m) => m.agentId === agentId);
  return match ? { version: match.version } : {};
}
