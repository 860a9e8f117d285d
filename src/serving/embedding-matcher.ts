import { LRUCache } from 'lru-cache';
import type { Models } from '../model/models.js';
import type { RunMeter } from '../model/run-meter.js';
import type { AgentSummary } from '../store/agents.js';

export interface EmbeddingChoice {
  agentId: string;
  similarity: number;
  /** How far ahead of the runner-up (1.0 when there was only one candidate). */
  margin: number;
}

/**
 * Embedding similarity between a request and specialists' "specialty: description", used by the router to
 * break a tie between close full-text matches (and to find a fit when no word matched) without a chat-model
 * call. Specialist vectors are cached per agent version; each request costs one embeddings call, metered as
 * an 'embedding' step of its run.
 */
export class EmbeddingMatcher {
  private readonly cache = new LRUCache<string, number[]>({ max: 5000 });

  constructor(private readonly options: { models: Models; model: string }) {}

  async choose(text: string, candidates: Array<Pick<AgentSummary, 'agentId' | 'version' | 'specialty' | 'description'>>,
    meter: RunMeter): Promise<EmbeddingChoice | null> {
    if (candidates.length === 0) return null;
    const missing = candidates.filter((c) => !this.cache.has(key(c)));
    const { vectors } = await this.options.models.embed({
      model: this.options.model, texts: [text.slice(0, 4000), ...missing.map((c) => `${c.specialty}: ${c.description}`)],
    }, { meter, kind: 'embedding', name: 'routing' });
    const [query, ...fresh] = vectors;
    missing.forEach((c, i) => this.cache.set(key(c), fresh[i]!));
    const scored = candidates
      .map((c) => ({ agentId: c.agentId, similarity: cosine(query!, this.cache.get(key(c))!) }))
      .sort((a, b) => b.similarity - a.similarity);
    const [best, second] = scored;
    return { agentId: best!.agentId, similarity: best!.similarity, margin: second ? best!.similarity - second.similarity : 1 };
  }
}

const key = (c: { agentId: string; version: number }) => `${c.agentId}@${c.version}`;

export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
