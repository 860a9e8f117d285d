/**
 * Splitting a long answer into Slack-sized messages.
 *
 * Slack truncates or rejects text past its limits (section text 3,000 chars, a message's `text` ~4,000 —
 * 3,500 leaves headroom for the escaping Slack does, streamed markdown 12,000 in total, 50 blocks a message).
 * `splitMessage` cuts at the most natural boundary that keeps each part under the limit — paragraph, then
 * line, then sentence, then word, then a hard cut — and keeps code fences balanced in every part: a block cut
 * in two is closed at the end of one part and reopened (same fence, same language) at the start of the next.
 */

export const SLACK_LIMITS = { sectionText: 3000, messageText: 3500, streamMarkdown: 12000, blocks: 50 } as const;

export interface Fence {
  /** The fence characters, e.g. "```" or "~~~~". */
  marker: string;
  /** The info string after the opening fence (language), possibly ''. */
  info: string;
  /** Indentation of the fence (0–3 spaces). */
  indent: number;
}

/** Recognizes an opening code fence line (CommonMark: up to 3 spaces, then ``` or ~~~ or longer). */
export function matchFence(line: string): Fence | null {
  const m = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(line);
  if (!m) return null;
  const [, indent = '', marker = '', info = ''] = m;
  if (marker.startsWith('`') && info.includes('`')) return null; // "```a```" is inline code, not a fence
  return { marker, info: info.trim(), indent: indent.length };
}

/** Whether `line` closes a block opened by `open`: same character, at least as long, nothing after it. */
export function closesFence(line: string, open: Fence): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return !!m && m[1]![0] === open.marker[0] && m[1]!.length >= open.marker.length;
}

/** The fence still open after reading `text`, starting from `open` (null: outside code). */
function fenceAfter(text: string, open: Fence | null): Fence | null {
  for (const line of text.split('\n')) {
    if (open) {
      if (closesFence(line, open)) open = null;
    } else open = matchFence(line);
  }
  return open;
}

/** Boundaries to try, best first; each returns [end of this part, start of the next] or null. */
const BOUNDARIES: Array<(window: string) => [number, number] | null> = [
  (w) => lastMatch(w, /\n[ \t]*\n/g),
  (w) => lastMatch(w, /\n/g),
  (w) => lastMatch(w, /[.!?…]["')\]]*[ \t]+/g, true),
  (w) => lastMatch(w, /[ \t]+/g),
];

/** The last match of `re` in `w`, cutting before it (or after its punctuation when `keepHead`). */
function lastMatch(w: string, re: RegExp, keepHead = false): [number, number] | null {
  let found: [number, number] | null = null;
  for (const m of w.matchAll(re)) {
    const head = keepHead ? m[0].trimEnd().length : 0;
    found = [m.index + head, m.index + m[0].length];
  }
  return found;
}

/** Moves a cut out of a Slack angle token (`<https://x|some text>`) and off a surrogate pair. */
function adjustCut(text: string, cut: number): number {
  const open = text.lastIndexOf('<', cut - 1);
  if (open >= 0 && open > text.lastIndexOf('>', cut - 1) && !text.slice(open, cut).includes('\n')) {
    const close = text.indexOf('>', cut);
    if (close >= 0 && !text.slice(cut, close).includes('\n') && open > 0) return open;
  }
  const code = text.charCodeAt(cut - 1);
  return code >= 0xd800 && code <= 0xdbff ? cut - 1 : cut;
}

/** Where to cut `rest` so the part has at most `budget` characters: [end of this part, start of the next]. */
function chooseCut(rest: string, budget: number): [number, number] {
  if (rest.length <= budget) return [rest.length, rest.length];
  const window = rest.slice(0, budget + 1); // +1: a boundary right at the budget still counts
  const minFill = Math.floor(budget / 2); // no tiny parts because of a far-back paragraph break
  let cut: [number, number] = [budget, budget]; // hard cut
  for (const find of BOUNDARIES) {
    const found = find(window);
    if (found && found[0] >= minFill && found[0] <= budget) {
      cut = found;
      break;
    }
  }
  const end = Math.max(1, adjustCut(rest, cut[0]));
  return end === cut[0] ? cut : [end, end];
}

/**
 * Splits `text` into parts of at most `limit` characters (for limits that can hold a fence pair, ~20+).
 * Parts are trimmed at the cut; a cut inside a code block closes the fence and reopens it in the next part.
 */
export function splitMessage(text: string, limit: number = SLACK_LIMITS.messageText): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  let open: Fence | null = null; // fence open at the start of `rest`
  while (rest.length > 0) {
    const reopen: string = open ? `${open.marker}${open.info}\n` : '';
    let budget = Math.max(1, limit - reopen.length);
    let body: string;
    let next: number;
    let after: Fence | null;
    for (;;) {
      // Cut, then shrink the budget by the overflow if the closing fence does not fit.
      const [end, start] = chooseCut(rest, budget);
      body = rest.slice(0, end).trimEnd();
      next = start;
      after = fenceAfter(body, open);
      const overflow = reopen.length + body.length + (after ? after.marker.length + 1 : 0) - limit;
      if (overflow <= 0 || budget === 1) break;
      budget = Math.max(1, budget - overflow);
    }
    const part = reopen + body + (after ? `\n${after.marker}` : '');
    if (body.trim()) parts.push(part);
    rest = rest.slice(next).replace(/^[ \t]*\n/, ''); // the line break at the cut is not content
    open = after;
    if (!open) rest = rest.replace(/^\s+/, '');
  }
  return parts;
}
