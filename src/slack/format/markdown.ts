/**
 * Markdown → Slack mrkdwn.
 *
 * `slackify-markdown` does the bulk (bold `*x*`, italics `_x_`, strike `~x~`, headings as bold, links as
 * `<url|text>`, bullets as `•`). What it gets wrong, and the fix applied here:
 * - Code: it leaves `<`, `>` and `&` raw inside code, where Slack still parses them as control sequences
 *   (Slack decodes the entities inside code too). Fenced blocks and inline code are taken out first
 *   (placeholders), escaped, and put back. The fence language is dropped (mrkdwn does not highlight code).
 * - Tables: Slack has none; slackify re-emits pipe tables. They become a code block with aligned columns
 *   (cell markup simplified: `**x**` → `x`, `[t](u)` → `t (u)`; mentions in cells show as text).
 * - Slack tokens: `<#C1|general>` comes out as `<#C1|general&gt;` (it only recognizes label-less tokens).
 *   `<@…>`, `<#…>`, `<!…>` and `<url|text>` are passed through untouched instead.
 * - Stray `<` (`a < b`, `<div>`) is escaped as `&lt;` so Slack does not read it as a token; slackify escapes
 *   only the last `>` of a text run, so other `>` outside quote markers and links become `&gt;` too.
 * - Headings containing `**bold**` became `*<ZWSP>*x*<ZWSP>*`; bold markers inside headings are dropped.
 * - Hard line breaks came out as `\` + newline; task list boxes were lost (now ☐ / ☑);
 *   a thematic break came out as a literal `***` (now a line); bullets had three spaces after them.
 * - Zero-width spaces: slackify wraps every bold/italic/strike in U+200B so that Slack renders formatting
 *   next to letters and punctuation (`foo*bar*baz`, `*bold*,`). They are removed only where they touch
 *   whitespace or a line edge, where they are not needed; the others are kept.
 */
import slackifyMarkdown from 'slackify-markdown';
import { closesFence, matchFence } from './split.js';

const OPEN = '\uE000'; // private-use characters delimit placeholders
const CLOSE = '\uE001';
const ZWSP = '\u200B';

interface Held {
  text: string;
  block: boolean;
}

const escapeSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const codeBlock = (content: string) => `\`\`\`\n${escapeSlack(content)}\n\`\`\``;

export function toMrkdwn(markdown: string): string {
  const held: Held[] = [];
  const hold = (text: string, block = false) => `${OPEN}${held.push({ text, block }) - 1}${CLOSE}`;

  let text = markdown.replace(/\r\n?/g, '\n').replace(/[\uE000\uE001]/g, '');
  text = holdBlocks(text, hold);
  // Inline code (a run of n backticks up to the next run of exactly n, within a paragraph).
  text = text.replace(/(?<!`)(`+)(?!`)((?:[^\n]|\n(?!\n))+?)(?<!`)\1(?!`)/g, (_m, _ticks, body: string) =>
    hold(`\`${escapeSlack(body.replace(/^ (.*) $/s, '$1').replace(/\n/g, ' '))}\``),
  );
  // Slack tokens and autolinks pass through as they are.
  text = text.replace(/<(?:[@#][^<>\s][^<>\n]*|![a-z][^<>\n]*|(?:https?|mailto|ftp):[^<>\s|]+(?:\|[^<>\n]*)?)>/gi, (m) =>
    hold(m),
  );
  text = text
    .replace(/</g, '&lt;') // what is left is not a Slack token
    .replace(/^( {0,3}#{1,6}[ \t].*)$/gm, (line) => line.replace(/\*\*/g, ''))
    .replace(/^(\s*(?:[-*+]|\d+[.)])[ \t]+)\[ \](?=\s)/gm, '$1☐')
    .replace(/^(\s*(?:[-*+]|\d+[.)])[ \t]+)\[[xX]\](?=\s)/gm, '$1☑');

  let out = slackifyMarkdown(text)
    .replace(/\\\n/g, '\n') // hard line break
    .replace(/^(\s*)•[ \t]+/gm, '$1• ')
    .replace(/^(\s*)(\d+)\.[ \t]{2,}/gm, '$1$2. ')
    .replace(/^\*\*\*$/gm, '──────────')
    .replace(/<([^<>|\s]+)\|\1>/g, '<$1>') // `<url|url>` → `<url>`
    // slackify escapes only the last `>` of a text run; escape the rest, keeping quote markers and links.
    .replace(/^((?:[ \t]*>)+)|<[^<>\n]*>|>/gm, (m, quote?: string) => (quote || m !== '>' ? m : '&gt;'))
    .replace(new RegExp(`(^|\\s)${ZWSP}+`, 'gm'), '$1')
    .replace(new RegExp(`${ZWSP}+(?=\\s|$)`, 'gm'), '');

  out = out.replace(new RegExp(`[ \\t]*${OPEN}(\\d+)${CLOSE}`, 'g'), (m, n: string) => {
    const h = held[Number(n)];
    if (!h) return m;
    return h.block ? h.text : m.replace(/\uE000.*$/, '') + h.text;
  });
  return out.replace(/\s+$/, '');
}

/** Replaces fenced code blocks and pipe tables with block placeholders, each on its own line. */
function holdBlocks(text: string, hold: (text: string, block: boolean) => string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const fence = matchFence(line);
    if (fence) {
      const body: string[] = [];
      while (++i < lines.length && !closesFence(lines[i] ?? '', fence)) {
        body.push((lines[i] ?? '').replace(new RegExp(`^ {0,${fence.indent}}`), ''));
      }
      out.push(hold(codeBlock(body.join('\n')), true));
      continue;
    }
    const header = splitRow(line);
    const delimiter = splitRow(lines[i + 1] ?? '');
    if (
      header.length > 0 &&
      delimiter.length === header.length &&
      delimiter.every((c) => /^:?-+:?$/.test(c))
    ) {
      const rows = [header];
      i += 2;
      while (i < lines.length && (lines[i] ?? '').includes('|') && (lines[i] ?? '').trim()) rows.push(splitRow(lines[i++]!));
      i--;
      out.push(hold(renderTable(rows, delimiter), true));
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** Cells of a pipe-table row (outer pipes optional, `\|` is a literal pipe). */
function splitRow(line: string): string[] {
  if (!line.includes('|')) return [];
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** A table as a code block: inline markup simplified, columns padded, `--:` columns right-aligned. */
function renderTable(rows: string[][], delimiter: string[]): string {
  const plain = (c: string) =>
    c
      .replace(/\[([^\]]*)\]\(([^)\s]+)\)/g, '$1 ($2)')
      .replace(/\*\*|__|`/g, '')
      .replace(/<br\s*\/?>/gi, ' ');
  const cells = rows.map((r) => delimiter.map((_d, j) => plain(r[j] ?? '')));
  const widths = delimiter.map((_d, j) => Math.max(3, ...cells.map((r) => [...(r[j] ?? '')].length)));
  const pad = (c: string, j: number) => {
    const fill = ' '.repeat((widths[j] ?? 0) - [...c].length);
    return /^-+:$/.test(delimiter[j] ?? '') ? fill + c : c + fill;
  };
  const line = (r: string[]) => r.map(pad).join(' | ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  const [head = [], ...body] = cells;
  return codeBlock([line(head), rule, ...body.map(line)].join('\n'));
}
