import { OpenAIEmbeddings } from '@langchain/openai';
import { LRUCache } from 'lru-cache';
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
 * call. Specialist vectors are cached per agent version; each request costs one embeddings call.
 */
export class EmbeddingMatcher {
  private readonly embeddings: OpenAIEmbeddings;
  private readonly cache = new LRUCache<string, number[]>({ max: 5000 });

  constructor(options: { apiKey: string; baseUrl?: string; model: string }) {
    this.embeddings = new OpenAIEmbeddings({
      model: options.model, apiKey: options.apiKey, maxRetries: 1,
      ...(options.baseUrl ? { configuration: { baseURL: options.baseUrl } } : {}),
    });
  }

  async choose(text: string, candidates: Array<Pick<AgentSummary, 'agentId' | 'version' | 'specialty' | 'description'>>): Promise<EmbeddingChoice | null> {
    if (candidates.length === 0) return null;
    const missing = candidates.filter((c) => !this.cache.has(key(c)));
    const [query, ...vectors] = await this.embeddings.embedDocuments([text.slice(0, 4000), ...missing.map((c) => `${c.specialty}: ${c.description}`)]);
    missing.forEach((c, i) => this.cache.set(key(c), vectors[i]!));
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
