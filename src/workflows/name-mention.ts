import type { Word } from './request-text.js';

/** Where a request names a workflow: "the launch plan", "launch-plan", "`launch-plan`", "checklist for onboarding". */
export interface NameMention {
  /** First and last word positions of the mention. */
  start: number;
  end: number;
  /** The words as written. */
  text: string;
  /** Followed or preceded by the word "workflow". */
  withWorkflowWord: boolean;
  /**
   * Written head first: "checklist for onboarding", "research competitors". The head may then be a verb, so
   * a managing verb there ("update the board" for board-update) is not excused as part of the name.
   */
  inverted: boolean;
}

const WORKFLOW_WORD = /^workflows?$/;
/** How English rephrases a noun compound: "onboarding checklist" → "checklist for onboarding". */
const PREPOSITIONS = new Set(['for', 'of', 'on', 'about', 'in', 'from']);
const DETERMINERS = new Set(['the', 'a', 'an', 'our', 'my', 'this', 'that', 'these', 'those', 'their', 'your', 'his', 'her', 'its', 'today', 'todays']);

/**
 * The request's mention of a workflow's name, or null. Three forms, after stemming, synonyms and typo
 * correction, always within one clause:
 *  - in order, written next to each other: "the launch plans", "rollout plan", "lanch plan", or run together
 *    ("launchplan");
 *  - head first after a preposition: "checklist for onboarding Sam", "postmortem for the login outage" (one
 *    other word may precede the modifier);
 *  - head first as a verb with its object: "research competitors for …", "plan the launch of …" — but only
 *    when the object ends there: in "plan the launch party", "launch" describes the party.
 * A one-word name is too common a word to count alone, so it needs the word "workflow", backticks, or to be
 * the whole request.
 */
export function findNameMention(words: readonly Word[], name: string, terms: readonly string[]): NameMention | null {
  if (terms.length === 0) return null;
  const joined = name.replace(/-/g, '');
  const mention = (from: number, to: number, inverted: boolean): NameMention => ({
    start: words[from]!.position, end: words[to]!.position, text: words.slice(from, to + 1).map((w) => w.raw).join(' '), inverted,
    withWorkflowWord: WORKFLOW_WORD.test(words[to + 1]?.raw ?? '') || WORKFLOW_WORD.test(words[from - 1]?.raw ?? '')
      || (words[from - 1]?.raw === 'the' && WORKFLOW_WORD.test(words[from - 2]?.raw ?? '')),
  });
  const sameClause = (i: number, j: number) => words[j] !== undefined && words[j]!.clause === words[i]!.clause;
  const runsAt = (i: number, seq: readonly string[]) => seq.every((t, k) => sameClause(i, i + k) && words[i + k]!.term === t);

  for (let i = 0; i < words.length; i++) {
    const inOrder = words[i]!.raw === joined ? i : runsAt(i, terms) ? i + terms.length - 1 : -1;
    if (inOrder < 0) continue;
    const found = mention(i, inOrder, false);
    if (terms.length > 1) return found;
    const alone = words.every((w, k) => (k >= i && k <= inOrder) || w.stop || w.repeat || WORKFLOW_WORD.test(w.raw));
    if (found.withWorkflowWord || words[i]!.quoted || alone) return found;
  }
  if (terms.length < 2) return null;

  const head = terms[terms.length - 1]!;
  const modifiers = terms.slice(0, -1);
  for (let i = 0; i < words.length; i++) {
    if (words[i]!.term !== head) continue;
    let j = i + 1;
    const afterPreposition = sameClause(i, j) && PREPOSITIONS.has(words[j]!.raw);
    if (afterPreposition) j++;
    while (sameClause(i, j) && DETERMINERS.has(words[j]!.raw)) j++;
    if (afterPreposition) {
      for (const k of [j, j + 1]) if (runsAt(k, modifiers) && (k === j || !words[j]!.stop)) return mention(i, k + modifiers.length - 1, true);
    } else if (runsAt(j, modifiers)) {
      const next = words[j + modifiers.length];
      const objectEnds = !next || !sameClause(i, j + modifiers.length) || next.stop || next.numeric || next.repeat;
      if (objectEnds) return mention(i, j + modifiers.length - 1, true);
    }
  }
  return null;
}
