/**
 * Typo tolerance: a request word that is not in any workflow's vocabulary, but is one edit (a letter added,
 * dropped, changed, or two swapped) away from exactly one word that is, is read as that word ("lauch" →
 * "launch", "reprot" → "report"). Only words of five letters or more: short everyday words sit one edit
 * from too many others. Two edits were tried and rejected: they read real words as others ("analytics" as
 * "analysis").
 */

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), stopping early above `max`. */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(new Array<number>(b.length + 1).fill(0));
    rows[i]![0] = i;
  }
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    let rowMin = Infinity;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
  }
  return rows[a.length]![b.length]!;
}

/** Edits allowed for a word of this length. */
const allowance = (length: number): number => (length >= 5 ? 1 : 0);

/**
 * The vocabulary word `word` most plausibly misspells, or null: none within the allowance, or two with
 * different meanings at the same distance (ambiguous, so no guess). `vocabulary` maps words to their terms.
 */
export function correctTypo(word: string, vocabulary: ReadonlyMap<string, string>): { raw: string; term: string } | null {
  const max = allowance(word.length);
  if (max === 0 || vocabulary.has(word)) return null;
  let best: { raw: string; term: string } | null = null;
  let bestDistance = max + 1;
  let tie = false;
  for (const [raw, term] of vocabulary) {
    // Typos rarely change both of the first two letters; skipping those keeps this cheap and cautious.
    if (raw.length < 5 || (raw[0] !== word[0] && raw[1] !== word[1])) continue;
    const d = editDistance(word, raw, max);
    if (d < bestDistance) { best = { raw, term }; bestDistance = d; tie = false; }
    else if (d === bestDistance && best && term !== best.term) tie = true;
  }
  return best && bestDistance <= max && !tie ? best : null;
}
