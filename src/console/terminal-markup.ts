/**
 * Slack mrkdwn and Markdown, rendered for a terminal. The console prints two kinds of text: model answers
 * (Markdown: **bold**, # headings, [text](url)) and the app's own replies and notices, written once for Slack
 * and the console (mrkdwn: *bold*, _italic_, <url|text>, <@U123>). Both become ANSI styles on a terminal and
 * plain text on a pipe; emphasis markers are never shown. Code is left exactly as written (on a pipe, inline
 * code keeps its backticks, which say "type this").
 */

const ESC = '\x1b[';
const style = (on: string, off: string) => (text: string, color: boolean) => (color ? `${ESC}${on}m${text}${ESC}${off}m` : text);
const bold = style('1', '22');
const italic = style('3', '23');
const strike = style('9', '29');
const dim = style('2', '22');
const code = style('36', '39');

// An emphasis marker opens after a line start, space or punctuation and closes before one, so `2 * 3 * 4`,
// snake_case_names and file_name.txt are left alone, as Slack leaves them.
// An ANSI style code counts as a boundary too, so emphasis nested in emphasis (*bold _and italic_*) renders.
const BEFORE = String.raw`(^|[\s([{"'“‘,.;:!?/\u0000-]|\x1b\[\d+m)`;
const AFTER = String.raw`(?=$|[\s)\]}"'”’,.;:!?/\u0000\x1b-])`;
const emphasis = (marker: string) => new RegExp(`${BEFORE}${marker}(?=\\S)((?:(?!${marker}).)*?\\S)${marker}${AFTER}`, 'g');
const STRONG_STARS = /\*\*(?=\S)(.+?\S)\*\*/g;
const STRONG_UNDERSCORES = emphasis('__');
const STAR = emphasis(String.raw`\*`);
const UNDERSCORE = emphasis('_');
const TILDES = /~~(?=\S)(.+?\S)~~/g;
const TILDE = emphasis('~');

/** Renders one line of text outside code blocks: inline code, links, mentions, emphasis, entities. */
function renderInline(text: string, color: boolean): string {
  // Inline code, links and mentions are rendered first and set aside, so emphasis never reaches into code
  // (`a*b*c`) or a URL (…/_private_/…), while emphasis around them (_run `npm start` again_) still renders.
  const tokens: string[] = [];
  const keep = (rendered: string) => `\u0000${tokens.push(rendered) - 1}\u0000`;
  let out = text
    // On a pipe the backticks stay: they mark what to type literally ("say `run workflow sums`").
    .replace(/(`+)([^`]+?)\1/g, (_m, _ticks: string, inner: string) => keep(color ? code(inner, color) : `\`${inner}\``))
    // Slack tokens: <url|text>, <url>, <@U123|name>, <#C123|name>, <!here>, <!subteam^S1|@team>, <!date^…|fallback>.
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]+))?>/g, (_m, id: string, name?: string) => keep(bold(`@${name ?? id}`, color)))
    .replace(/<#(C[A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, name?: string) => keep(bold(`#${name || id}`, color)))
    .replace(/<!(here|channel|everyone)(?:\|[^>]*)?>/g, (_m, who: string) => keep(bold(`@${who}`, color)))
    .replace(/<!(?:subteam\^[A-Z0-9]+|date\^[^|>]*)\|([^>]+)>/g, (_m, fallback: string) => keep(fallback))
    .replace(/<((?:https?|mailto):[^|>\s]+)\|([^>]+)>/g, (_m, url: string, label: string) => keep(link(label, url, color)))
    .replace(/<((?:https?|mailto):[^|>\s]+)>/g, (_m, url: string) => keep(link(url, url, color)))
    // Markdown links and images.
    .replace(/!?\[([^\]]+)\]\(((?:https?|mailto):[^)\s]+)\)/g, (_m, label: string, url: string) => keep(link(label, url, color)));
  out = out
    .replace(STRONG_STARS, (_m, inner: string) => bold(inner, color))
    .replace(STRONG_UNDERSCORES, (_m, before: string, inner: string) => `${before}${bold(inner, color)}`)
    .replace(STAR, (_m, before: string, inner: string) => `${before}${bold(inner, color)}`)
    .replace(UNDERSCORE, (_m, before: string, inner: string) => `${before}${italic(inner, color)}`)
    .replace(TILDES, (_m, inner: string) => strike(inner, color))
    .replace(TILDE, (_m, before: string, inner: string) => `${before}${strike(inner, color)}`)
    // Slack escapes these three in text; slackify-style zero-width spaces around emphasis are dropped.
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\u200b/g, '');
  return out.replace(/\u0000(\d+)\u0000/g, (_m, index: string) => tokens[Number(index)]!);
}

function link(label: string, url: string, color: boolean): string {
  const target = url.replace(/^mailto:/, '');
  return label === url || label === target ? code(target, color) : `${label} (${dim(target, color)})`;
}

const FENCE = /^\s*```/;

/**
 * Renders text line by line, keeping whether a code block is open across calls, so a streamed answer can be
 * rendered one finished line at a time and look the same as if it had been rendered whole.
 */
export class TerminalMarkup {
  private inCode = false;

  constructor(private readonly color: boolean) {}

  /** Renders one line (without its newline). Fence lines render as nothing: returns undefined. */
  line(raw: string): string | undefined {
    const color = this.color;
    if (FENCE.test(raw)) {
      // ```one-line code``` (Slack allows it) stays one line; otherwise the fence opens or closes a block.
      const single = /^\s*```(.+?)```\s*$/.exec(raw);
      if (single && !this.inCode) return `  ${code(single[1]!, color)}`;
      const after = raw.replace(/^\s*```/, '');
      const closing = this.inCode;
      this.inCode = !this.inCode;
      // Text after an opening fence is a language name (```ts) unless it has spaces (Slack: ```code).
      if (!closing && after.trim() && /\s/.test(after.trim())) return `  ${code(after, color)}`;
      return undefined;
    }
    if (this.inCode) {
      const closes = raw.endsWith('```');
      if (closes) this.inCode = false;
      return `  ${code(closes ? raw.slice(0, -3) : raw, color)}`;
    }
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (heading) return bold(renderInline(heading[1]!, false), color);
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(raw)) return dim('─'.repeat(40), color);
    const quote = /^\s*(?:>|&gt;)\s?(.*)$/.exec(raw);
    if (quote) return `${dim('│', color)} ${renderInline(quote[1]!, color)}`;
    const bullet = /^(\s*)[-*+•◦]\s+(.*)$/.exec(raw);
    if (bullet) return `${bullet[1]}• ${renderInline(bullet[2]!, color)}`;
    return renderInline(raw, color);
  }

  /** Renders a whole text. */
  text(raw: string): string {
    return raw.split('\n').map((l) => this.line(l)).filter((l): l is string => l !== undefined).join('\n');
  }
}

/** One text, rendered for the terminal. */
export function renderForTerminal(text: string, color: boolean): string {
  return new TerminalMarkup(color).text(text);
}

/**
 * A streamed answer, rendered as it arrives: text is held until its line ends, because markup split across
 * chunks (`**bo` + `ld**`) can only be rendered once it is complete. Finished lines come out at once.
 */
export class StreamingMarkup {
  private pending = '';
  private readonly markup: TerminalMarkup;

  constructor(color: boolean) {
    this.markup = new TerminalMarkup(color);
  }

  /** Adds streamed text; returns the rendered lines it completed (each ending with a newline), or ''. */
  push(chunk: string): string {
    this.pending += chunk;
    const end = this.pending.lastIndexOf('\n');
    if (end < 0) return '';
    const complete = this.pending.slice(0, end);
    this.pending = this.pending.slice(end + 1);
    return complete.split('\n').map((l) => this.markup.line(l)).filter((l): l is string => l !== undefined).map((l) => `${l}\n`).join('');
  }

  /** The rendered rest (the last line, without a newline), when the answer ends. */
  end(): string {
    const rest = this.pending;
    this.pending = '';
    return rest ? this.markup.line(rest) ?? '' : '';
  }

  /** Whether text is held, waiting for its line to end. */
  get holding(): boolean {
    return this.pending.length > 0;
  }
}
