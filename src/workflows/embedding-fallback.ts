import { replayGuard } from './intent-guards.js';
import { matchIndexed, type MatchDecision, type MatchOptions } from './matcher.js';
import { contentWords, parseText } from './request-text.js';
import { WorkflowIndex, type MatchableWorkflow } from './workflow-index.js';

/** Texts in, one vector per text out (an OpenAI-compatible embeddings call, for instance). */
export type Embed = (texts: string[]) => Promise<number[][]>;

export interface EmbeddingMatchOptions<W> extends MatchOptions<W> {
  embed: Embed;
  /** Cosine similarity to a workflow's description or example needed to replay it (default 0.8). */
  minSimilarity?: number;
  /** How far ahead of the next workflow the best must be (default 0.05). */
  minLead?: number;
}

/**
 * The lexical matcher, then, only when it found nothing (no name, no close wording, no guard, no ambiguity),
 * embeddings: the workflow whose description or example request is closest in meaning, if it is close and
 * clearly ahead of the rest. The guards still apply. For EMBEDDING_MODEL deployments; the lexical matcher
 * alone is what the labelled set measures, and these defaults are not tuned on any real model. Callers
 * should cache the workflow texts' vectors (they change only when a workflow does); an embedding failure
 * falls back to the lexical decision.
 */
export async function matchWorkflowWithEmbeddings<W extends MatchableWorkflow>(
  text: string, workflows: readonly W[], options: EmbeddingMatchOptions<W>,
): Promise<MatchDecision<W>> {
  const index = new WorkflowIndex(workflows);
  const lexical = matchIndexed(text, index, options);
  if (lexical.workflow || lexical.rule !== 'none' || workflows.length === 0) return lexical;

  const texts = workflows.map((w) => [[w.name.replace(/-/g, ' '), w.description].filter(Boolean).join(': '), ...w.triggers]);
  let vectors: number[][];
  try {
    vectors = await options.embed([text, ...texts.flat()]);
  } catch {
    return { ...lexical, reason: `${lexical.reason} (embeddings unavailable)` };
  }
  const [query, ...rest] = vectors;
  if (!query || rest.length !== texts.flat().length) return lexical;
  let offset = 0;
  const scored = workflows.map((workflow, i) => {
    let best = { similarity: -1, label: '' };
    texts[i]!.forEach((t, k) => {
      const similarity = cosine(query, rest[offset + k]!);
      if (similarity > best.similarity) best = { similarity, label: k === 0 ? 'its name and description' : `its example "${t.slice(0, 80)}"` };
    });
    offset += texts[i]!.length;
    return { workflow, ...best };
  }).sort((a, b) => b.similarity - a.similarity);

  const [first, second] = scored;
  const minSimilarity = options.minSimilarity ?? 0.8;
  const lead = first!.similarity - (second?.similarity ?? -1);
  const shown = first!.similarity.toFixed(2);
  if (first!.similarity < minSimilarity) return { ...lexical, reason: `${lexical.reason}; closest in meaning: ${first!.workflow.name} (${shown} < ${minSimilarity})` };
  if (lead < (options.minLead ?? 0.05)) return { workflow: null, score: first!.similarity, rule: 'ambiguous', reason: `closest in meaning to ${first!.workflow.name} and ${second!.workflow.name} about equally` };
  const parsed = parseText(text);
  const guard = replayGuard(parsed, { positions: contentWords(parsed.words).map((w) => w.position) });
  if (guard) return { workflow: null, score: first!.similarity, rule: guard.rule, reason: `not replaying workflow ${first!.workflow.name}: ${guard.reason}` };
  return { workflow: first!.workflow, score: first!.similarity, rule: 'embedding', reason: `matched workflow ${first!.workflow.name}: close in meaning to ${first!.label} (cosine ${shown})` };
}

/** As in orchestrator/embedding-matcher.ts; not imported from there, which is being redesigned. */
function cosine(a: readonly number[], b: readonly number[]): number {
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
