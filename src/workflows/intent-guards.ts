import {
  ASKING_VERBS, FRESH_START_PHRASES, GENERIC_TERMS, LEAD_FILLERS, MANAGING_VERBS, NEGATIONS, POLITE_REQUEST_OPENERS,
  QUESTION_OPENERS, REQUEST_MARKERS, STATE_VERBS,
} from './lexicon.js';
import type { ParsedText, Word } from './request-text.js';
import { stem } from './stem.js';

/**
 * Rules that stop a replay even when a request names or closely resembles a workflow: the request manages the
 * workflow or its output, asks about the topic, negates it, or comments on it. A wrong replay runs the wrong
 * task graph; a blocked one only costs a planning call, so these lean towards blocking.
 */
export type GuardRule = 'managing-verb' | 'question' | 'negation' | 'fresh-start' | 'statement';

export interface Guard {
  rule: GuardRule;
  /** Shown to users: why the request was not treated as a replay. */
  reason: string;
}

/** What a guard looks at: the words that tied the request to the workflow (its name mention, or the shared words). */
export interface GuardFocus {
  positions: readonly number[];
  /**
   * Words of a name mention. Written in order they are exempt from the managing-verb rule ("release" in
   * "release notes for 2.4"); written head first the head is a verb like any other ("update the board").
   */
  mention?: { start: number; end: number; inverted: boolean };
}

const MANAGING = new Set([...MANAGING_VERBS].map(stem));
const ASKING = new Set([...ASKING_VERBS].map(stem));
const TASK_VERBS = new Set([...GENERIC_TERMS].map(stem));
const FRESH = FRESH_START_PHRASES.map((p) => p.split(' '));
const WORKFLOW_WORD = /^workflows?$/;
const REFERS_TO_IT = new Set(['it', 'that', 'this', 'workflow', 'workflows']);

/** The first word of each clause after fillers ("hey can you please cancel …" → cancel). */
function clauseHeads(words: readonly Word[]): Map<number, Word> {
  const heads = new Map<number, Word>();
  for (const w of words) {
    if (heads.has(w.clause)) continue;
    if (LEAD_FILLERS.has(w.raw)) continue;
    heads.set(w.clause, w);
  }
  return heads;
}

function sentences(parsed: ParsedText): Word[][] {
  const out: Word[][] = [];
  for (const w of parsed.words) (out[w.sentence] ??= []).push(w);
  return out.filter((s) => s && s.length > 0);
}

/** "what is …", "how do we …", "is the … broken?", "…, what does that mean for us?" — but not "can you … ?". */
function isQuestion(sentence: readonly Word[], questionMark: boolean): boolean {
  const opener = sentence.find((w) => !['hey', 'hi', 'ok', 'okay', 'so', 'and', 'but', 'also', 'um', 'hmm'].includes(w.raw));
  if (!opener) return false;
  if (QUESTION_OPENERS.has(opener.raw)) return true;
  const next = sentence[sentence.indexOf(opener) + 1]?.raw;
  if (opener.raw === 'do' && ['you', 'we', 'i', 'they', 'people'].includes(next ?? '')) return true;
  if (ASKING.has(stem(opener.raw))) return true;
  if (!questionMark || POLITE_REQUEST_OPENERS.has(opener.raw)) return false;
  // A trailing question after a comment: "our competitor raised prices, what does that mean for us?"
  const lastClause = sentence.filter((w) => w.clause === sentence[sentence.length - 1]!.clause);
  return QUESTION_OPENERS.has(lastClause[0]?.raw ?? '');
}

/** Some part of the request asks for something: "need", "please", "can you", or a clause headed by a task verb. */
function asksForSomething(parsed: ParsedText, heads: Map<number, Word>, focus: GuardFocus): boolean {
  if (parsed.words.some((w) => REQUEST_MARKERS.has(w.raw))) return true;
  if (parsed.words.some((w, i) => POLITE_REQUEST_OPENERS.has(w.raw) && ['you', 'u'].includes(parsed.words[i + 1]?.raw ?? ''))) return true;
  for (const head of heads.values()) {
    if (TASK_VERBS.has(stem(head.raw)) || head.repeat) return true;
    if (focus.mention && head.position === focus.mention.start) return true;
  }
  return false;
}

export function replayGuard(parsed: ParsedText, focus: GuardFocus): Guard | null {
  const words = parsed.words;
  const heads = clauseHeads(words);
  const inMention = (w: Word) => focus.mention !== undefined && !focus.mention.inverted && w.position >= focus.mention.start && w.position <= focus.mention.end;
  const focusClauses = new Set(focus.positions.map((p) => words.find((w) => w.position === p)?.clause));

  // A managing verb heading the request, or heading a clause about the workflow.
  const first = heads.get(words[0]?.clause ?? 0);
  for (const head of heads.values()) {
    if (!MANAGING.has(stem(head.raw)) || inMention(head)) continue;
    const clauseWords = words.filter((w) => w.clause === head.clause);
    if (head === first || focusClauses.has(head.clause) || clauseWords.some((w) => REFERS_TO_IT.has(w.raw))) {
      return { rule: 'managing-verb', reason: `"${head.raw}" asks to manage it, not to run it` };
    }
  }

  // Questions about the topic ("what is a postmortem?") unless another sentence asks for the task.
  const all = sentences(parsed);
  if (all.length > 0 && all.every((s) => isQuestion(s, parsed.questionMark[s[0]!.sentence] ?? false))) {
    return { rule: 'question', reason: 'it is a question, not a request to run it' };
  }

  // Negated: "don't do the weekly report", "not the launch plan", "don't use a workflow".
  for (const w of words) {
    if (!NEGATIONS.has(w.raw)) continue;
    const clause = words.filter((x) => x.clause === w.clause);
    const negatesFocus = focus.positions.some((p) => clause.some((x) => x.position === p) && p > w.position);
    if (negatesFocus || clause.some((x) => WORKFLOW_WORD.test(x.raw))) {
      return { rule: 'negation', reason: `"${w.raw}" negates it` };
    }
  }

  const raws = words.map((w) => w.raw);
  for (const phrase of FRESH) {
    if (raws.some((_, i) => phrase.every((p, k) => raws[i + k] === p))) return { rule: 'fresh-start', reason: `"${phrase.join(' ')}" asks for a fresh start` };
  }

  // A comment about it, with nothing asked for: "the launch plan looks good", "churn went down".
  const state = words.find((w) => STATE_VERBS.has(w.raw));
  if (state && !asksForSomething(parsed, heads, focus)) return { rule: 'statement', reason: `it says something about it ("${state.raw}") rather than asking for it` };
  return null;
}
