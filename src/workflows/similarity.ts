/**
 * The first workflow matcher: Jaccard similarity of normalised words between a request and a workflow's
 * trigger examples. Superseded by matcher.ts (name mentions, weighted similarity, intent guards), which
 * keeps using explicitWorkflowName below for "run workflow <name>"; triggerScore stays as the baseline the
 * quality test (tests/workflows/matcher-quality.test.ts) measures the new matcher against, and for
 * WorkflowStore.match until the store calls matchWorkflow.
 */
const STOPWORDS = new Set([
  'a', 'an', 'the', 'and', 'or', 'of', 'to', 'for', 'in', 'on', 'at', 'by', 'with', 'from', 'about', 'into', 'as',
  'is', 'are', 'be', 'it', 'its', 'this', 'that', 'these', 'those', 'me', 'my', 'i', 'we', 'our', 'us', 'you', 'your',
  'please', 'pls', 'can', 'could', 'would', 'will', 'should', 'do', 'does', 'some', 'any', 'then', 'also', 'just', 'hey', 'hi',
]);

/** Lowercased words without punctuation and stopwords, with a light plural fold ("reports" → "report"). */
export function tokens(text: string): Set<string> {
  const words = text.toLowerCase().normalize('NFKC').replace(/<[^>]*>/g, ' ').split(/[^\p{L}\p{N}]+/u);
  const out = new Set<string>();
  for (const word of words) {
    if (!word || STOPWORDS.has(word)) continue;
    out.add(word.length > 3 && word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word);
  }
  return out;
}

/** |A ∩ B| / |A ∪ B|; 0 when both are empty. */
export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let common = 0;
  for (const t of a) if (b.has(t)) common++;
  return common / (a.size + b.size - common);
}

/** The best similarity of a request to any of the triggers. */
export function triggerScore(text: string, triggers: readonly string[]): number {
  const request = tokens(text);
  let best = 0;
  for (const trigger of triggers) best = Math.max(best, jaccard(request, tokens(trigger)));
  return best;
}

/** "run workflow <name>" (also "run the workflow <name>", "run workflow: <name>"): the name, else null. */
export function explicitWorkflowName(text: string): string | null {
  const match = /^\s*(?:please\s+)?run\s+(?:the\s+)?workflow\s*:?\s+`?([a-z0-9][a-z0-9-]{0,62})`?\s*[.!]?\s*$/i.exec(
    text.replace(/<@[A-Z0-9]+>/g, '').trim());
  return match ? match[1]!.toLowerCase() : null;
}
