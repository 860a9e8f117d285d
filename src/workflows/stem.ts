/**
 * A light English suffix stripper: folds inflections ("reports", "planned", "summarising") so that a request
 * and a workflow compare the same word. It only has to be consistent (both sides are stemmed the same way),
 * not linguistically right; word families it cannot fold ("summary"/"summarize") are synonym groups in
 * lexicon.ts. No stemmer package is installed, and this one is small enough to read.
 */
const VOWEL = /[aeiouy]/;

export function stem(word: string): string {
  let w = word;
  if (w.length <= 3) return w;
  // British spellings onto American ones, so "summarise"/"summarize" and "analyse"/"analyze" meet.
  w = w.replace(/is(e|es|ed|ing|ation|ations)$/, 'iz$1').replace(/ys(e|es|ed|ing)$/, 'yz$1');
  // Plurals and third person.
  if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('s') && !/(ss|us|is|ys)$/.test(w) && w.length > 3) w = w.slice(0, -1);
  // Past and progressive forms, when what remains still has a vowel ("need" stays, "planned" → "plan").
  for (const suffix of ['ing', 'ed']) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3 && VOWEL.test(w.slice(0, -suffix.length))) {
      w = w.slice(0, -suffix.length);
      // "planned" → "plann" → "plan"; "cancelled" → "cancel" (British doubling too).
      if (/([bdfgklmnprt])\1$/.test(w)) w = w.slice(0, -1);
      break;
    }
  }
  // A final silent e, so "release"/"released"/"releasing" share "releas".
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}
