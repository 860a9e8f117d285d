import type { AgentMatch, AgentStore } from '../store/agents.js';

export const FALLBACK_AGENT_ID = 'general';

export interface RouteDecision {
  agentId: string;
  /** direct: clear registry match; router: a model chose among candidates; fallback: nothing matched. */
  route: 'direct' | 'router' | 'fallback';
  reason: string;
  /** Present when a model call was made to decide. */
  routerUsage?: { model: string; tokensIn: number; tokensOut: number; latencyMs: number };
}

/** Chooses among close candidates with a model call; only used when the registry match is ambiguous. */
export interface ModelRouter {
  choose(text: string, candidates: AgentMatch[], deadline: number): Promise<{
    agentId: string; reason: string; model: string; tokensIn: number; tokensOut: number; latencyMs: number;
  }>;
}

export interface RouterOptions {
  /** ts_rank below this is noise (a single common word). */
  minRank?: number;
  /** The top match is "clear" when it beats the runner-up by this factor. */
  clearMargin?: number;
}

/**
 * Picks the specialist for a request without a model call when the choice is clear: full-text match of the
 * request against every current agent's specialty and description (in SQL, so 1,000+ agents cost one query).
 * Only an ambiguous match (two candidates within the margin) goes to the model router, if one is configured.
 */
export class Router {
  private readonly minRank: number;
  private readonly clearMargin: number;

  constructor(
    private readonly agents: AgentStore,
    private readonly modelRouter: ModelRouter | null,
    options: RouterOptions = {},
  ) {
    this.minRank = options.minRank ?? 0.01;
    this.clearMargin = options.clearMargin ?? 1.5;
  }

  async route(text: string, deadline: number): Promise<RouteDecision> {
    const matches = (await this.agents.search(text, 5)).filter((m) => m.rank >= this.minRank);
    const [top, second] = matches;
    if (!top) return { agentId: FALLBACK_AGENT_ID, route: 'fallback', reason: 'no specialist matched the request' };
    if (!second || top.rank >= second.rank * this.clearMargin) {
      return { agentId: top.agentId, route: 'direct', reason: `registry match on "${top.specialty}" (rank ${top.rank.toFixed(3)})` };
    }
    const close = matches.filter((m) => m.rank * this.clearMargin > top.rank);
    if (!this.modelRouter) {
      return { agentId: top.agentId, route: 'direct', reason: `closest registry match on "${top.specialty}" (ambiguous, no router model)` };
    }
    try {
      const choice = await this.modelRouter.choose(text, close, deadline);
      const chosen = close.find((m) => m.agentId === choice.agentId) ?? top;
      return {
        agentId: chosen.agentId,
        route: 'router',
        reason: `router model chose "${chosen.specialty}" among ${close.map((m) => m.agentId).join(', ')}: ${choice.reason}`.slice(0, 500),
        routerUsage: { model: choice.model, tokensIn: choice.tokensIn, tokensOut: choice.tokensOut, latencyMs: choice.latencyMs },
      };
    } catch {
      // Routing is an optimisation: if the router model fails, the best lexical match still answers.
      return { agentId: top.agentId, route: 'direct', reason: `closest registry match on "${top.specialty}" (router model failed)` };
    }
  }
}
