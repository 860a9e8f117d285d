import { GENERIC_TERMS, REPEAT_PHRASES, STOPWORDS, SYNONYM_GROUPS } from './lexicon.js';
import { stem } from './stem.js';

/** One word of a request (or of a workflow's name, description or trigger), as the matcher reads it. */
export interface Word {
  /** As written, lowercased, without punctuation. */
  raw: string;
  /** Stemmed and mapped to its synonym group: what similarity compares. */
  term: string;
  /** Index in the text's word sequence (phrases count once), so adjacency means "written next to each other". */
  position: number;
  sentence: number;
  clause: number;
  /** A function word: no evidence, and it may sit between a determiner and a name ("the launch plan"). */
  stop: boolean;
  /** A task verb or date word: it says something is asked for, not which workflow. */
  generic: boolean;
  /** Part of "again", "like last time", … */
  repeat: boolean;
  /** Contains digits (versions, dates, ticket numbers): specific to one run, ignored by similarity. */
  numeric: boolean;
  /** In backticks: a literal name. */
  quoted: boolean;
}

export interface ParsedText {
  words: Word[];
  /** Per sentence: did it end with a question mark. */
  questionMark: boolean[];
}

/** Canonical term of every single-word synonym, by stem; multi-word members as phrases (longest first). */
const SINGLE = new Map<string, string>();
const PHRASES: Array<{ stems: string[]; term: string }> = [];
for (const [canonical, members] of Object.entries(SYNONYM_GROUPS)) {
  for (const member of members) {
    const parts = member.split(' ');
    if (parts.length === 1) SINGLE.set(stem(member), canonical);
    else PHRASES.push({ stems: parts.map(stem), term: canonical });
  }
}
const REPEATS = REPEAT_PHRASES.map((p) => p.split(' '));
PHRASES.sort((a, b) => b.stems.length - a.stems.length);
REPEATS.sort((a, b) => b.length - a.length);
const GENERIC = new Set([...GENERIC_TERMS].map(stem));

/** The term a single word compares as. */
export function termOf(raw: string): string {
  const s = stem(raw);
  return SINGLE.get(s) ?? s;
}

/** Slack markup and punctuation the matcher should not read as words. */
function clean(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/<[@!#][^>]*>/g, ' ') // <@U123>, <!here>, <#C123|general>
    .replace(/<(https?:[^>|]*)(\|[^>]*)?>/g, ' ')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/(^|\s)#[\w-]+/g, ' ') // a bare #channel
    .replace(/:[a-z0-9_+-]+:/g, ' ') // :emoji:
    .replace(/\btl;?dr\b/g, 'tldr')
    .replace(/\b(\w+)n't\b/g, (_, w: string) => `${w === 'wo' ? 'will' : w === 'ca' ? 'can' : w} not`) // don't → do not, can't → can not
    .replace(/'(s|re|ll|ve|m|d)\b/g, '')
    .replace(/'/g, '');
}

/** Words in order, with sentence and clause boundaries, synonym phrases folded into one word each. */
export function parseText(text: string): ParsedText {
  const cleaned = clean(text);
  const words: Word[] = [];
  const questionMark: boolean[] = [];
  // Sentences end at ?, ! or a full stop followed by a space (not "v2.3"); clauses at , ; : ( ) dashes.
  const sentences = cleaned.split(/(?<=[?!\n])|(?<=\.)(?=\s|$)/);
  let clause = 0;
  let sentenceIndex = 0;
  for (const sentence of sentences) {
    if (!/[\p{L}\p{N}]/u.test(sentence)) continue;
    questionMark[sentenceIndex] = /\?\s*$/.test(sentence);
    for (const part of sentence.split(/[,;:()\u2014\u2013]|\s-\s|\bthen\b|\bbut\b/)) {
      const raws: Array<{ raw: string; quoted: boolean }> = [];
      let quoted = false;
      for (const piece of part.split(/(`)/)) {
        if (piece === '`') { quoted = !quoted; continue; }
        for (const m of piece.matchAll(/[\p{L}\p{N}]+/gu)) raws.push({ raw: m[0], quoted });
      }
      if (raws.length === 0) continue;
      const seq = raws.map((r) => r.raw);
      const stems = seq.map(stem);
      let i = 0;
      while (i < raws.length) {
        const repeat = REPEATS.find((p) => p.every((w, k) => seq[i + k] === w));
        const phrase = PHRASES.find((p) => p.stems.every((w, k) => stems[i + k] === w));
        if (repeat && (!phrase || repeat.length >= phrase.stems.length)) {
          for (let k = 0; k < repeat.length; k++) words.push(word(raws[i + k]!.raw, raws[i + k]!.quoted, true));
          i += repeat.length;
        } else if (phrase) {
          const w = word(seq.slice(i, i + phrase.stems.length).join(' '), raws[i]!.quoted, false);
          w.term = phrase.term;
          w.stop = false;
          w.generic = false;
          words.push(w);
          i += phrase.stems.length;
        } else {
          words.push(word(raws[i]!.raw, raws[i]!.quoted, false));
          i++;
        }
      }
      clause++;
    }
    sentenceIndex++;
  }
  return { words, questionMark };

  function word(raw: string, quoted: boolean, repeat: boolean): Word {
    const term = termOf(raw);
    return {
      raw, term, position: words.length, sentence: sentenceIndex, clause, quoted, repeat,
      stop: STOPWORDS.has(raw), generic: GENERIC.has(term) || GENERIC.has(raw), numeric: /\p{N}/u.test(raw),
    };
  }
}

/** The words that carry evidence: not function words, task verbs, repeat phrases or numbers. */
export const contentWords = (words: readonly Word[]): Word[] => words.filter((w) => !w.stop && !w.generic && !w.repeat && !w.numeric);

/** The terms of a workflow name slug ("launch-plan" → launch, plan), read like a request. */
export const nameTerms = (name: string): string[] => parseText(name.replace(/-/g, ' ')).words.filter((w) => !w.numeric).map((w) => w.term);
