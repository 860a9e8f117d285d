/**
 * Sanitizing a streamed answer.
 *
 * Streaming appends model tokens to a Slack message before the full answer is known, so a dangerous
 * construct can arrive in pieces: `<!chan` + `nel>`, `[click](https://ev` + `il.com)`, `@ev` + `eryone`.
 * Sanitizing each token on its own would miss those. `SafeStreamBuffer` therefore releases text only up to a
 * whitespace that is not inside an unfinished (or finished) `<…>`, `[…](…)`, `[…]: url` or inline code span,
 * sanitizes the released segment, and keeps the rest for later. The word after the last whitespace is always
 * held back (it could still become `@channel` or a longer URL).
 *
 * Contract with `sanitize`: it must be local — sanitizing two pieces split at such a whitespace must give the
 * same result as sanitizing the whole (true of `sanitizeAnswer`, see output-safety.ts). Then the concatenation
 * of every `push` plus `flush` equals `sanitize(fullText)`.
 *
 * The scanner over-approximates: it may hold text longer than strictly needed (e.g. `a < b` keeps the rest of
 * the line until a `>` or a newline arrives), never shorter. Every tracked construct ends at a newline.
 */

export interface SafeStreamOptions {
  /** Do not release fewer than this many characters at once (fewer Slack updates); `flush` ignores it. */
  minChars?: number;
}

export class SafeStreamBuffer {
  private pending = '';
  private readonly minChars: number;

  constructor(
    private readonly sanitize: (s: string) => string,
    opts: SafeStreamOptions = {},
  ) {
    this.minChars = Math.max(1, opts.minChars ?? 1);
  }

  /** Adds a model token; returns the sanitized text that is safe to emit now (possibly ''). */
  push(token: string): string {
    this.pending += token;
    const cut = findSafeCut(this.pending);
    if (cut < this.minChars) return '';
    const released = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    return this.sanitize(released);
  }

  /** Releases everything still held (end of the answer). */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest ? this.sanitize(rest) : '';
  }

  /** Characters currently held back (for tests and diagnostics). */
  get held(): string {
    return this.pending;
  }
}

/** Start/end (end exclusive; Infinity when unfinished) of each construct a cut must not fall inside. */
type Span = [start: number, end: number];

/**
 * The largest index k such that text[k-1] is whitespace and k is not strictly inside a protected span,
 * or 0 when there is none. `text.slice(0, k)` can then be sanitized on its own.
 */
export function findSafeCut(text: string): number {
  const spans = protectedSpans(text);
  for (let k = text.length; k > 0; k--) {
    if (!/\s/.test(text[k - 1] ?? '')) continue;
    if (spans.some(([start, end]) => start < k && k < end)) continue;
    return k;
  }
  return 0;
}

/** Scans line by line for `<…>`, `[…](…)`, `[…]: x` and inline code spans, finished or not. */
export function protectedSpans(text: string): Span[] {
  const spans: Span[] = [];
  let angle = -1; // latest `<` on this line without its `>`
  let bracket = -1; // latest `[` of a possible link / definition
  let mode: 'text' | 'paren' | 'def' = 'text';
  let depth = 0;
  let inQuote = false;
  let code = -1; // opening backtick run of an inline code span
  let codeRun = 0;
  let fenceLine = false;

  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (i === 0 || text[i - 1] === '\n') fenceLine = /^ {0,3}(```|~~~)/.test(text.slice(i, text.indexOf('\n', i) + 1 || undefined));
    if (ch === '\n') {
      angle = bracket = code = -1;
      mode = 'text';
      continue;
    }
    // Angle tokens: `<` … `>`, no `<` in between (a new `<` supersedes the old one).
    if (ch === '<') angle = i;
    else if (ch === '>' && angle >= 0) {
      spans.push([angle, i + 1]);
      angle = -1;
    }
    // Links and definitions.
    if (mode === 'paren') {
      if (ch === '"') inQuote = !inQuote;
      else if (!inQuote && ch === '(') depth++;
      else if (!inQuote && ch === ')' && --depth === 0) {
        spans.push([bracket, i + 1]);
        bracket = -1;
        mode = 'text';
      }
    } else if (mode === 'def') {
      if (ch !== ' ' && ch !== '\t') {
        spans.push([bracket, i + 1]); // `[id]:` must stay with the first character of its target
        bracket = -1;
        mode = 'text';
      }
    }
    if (mode === 'text') {
      if (ch === '[') bracket = i;
      else if (ch === ']' && bracket >= 0) {
        const next = text[i + 1];
        if (next === '(') [mode, depth, inQuote, i] = ['paren', 1, false, i + 1];
        else if (next === ':') [mode, i] = ['def', i + 1];
        else if (next !== undefined) bracket = -1; // `[x] ` is not a link
      }
    }
    // Inline code: a run of n backticks up to the next run of exactly n (not on fence lines).
    if (ch === '`' && !fenceLine) {
      let j = i;
      while (text[j] === '`') j++;
      if (code < 0) [code, codeRun] = [i, j - i];
      else if (j - i === codeRun) {
        spans.push([code, j]);
        code = -1;
      }
      i = j - 1;
    }
  }
  for (const start of [angle, bracket, code]) if (start >= 0) spans.push([start, Infinity]);
  return spans;
}
