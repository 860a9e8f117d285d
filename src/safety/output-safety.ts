/**
 * Output safety for model answers before they reach Slack.
 *
 * A model answer is untrusted: a prompt injection in a thread, a file or a web page can make the model emit
 * text that, posted verbatim by the bot, would ping a whole channel, ping people who are not in the
 * conversation, or carry a link whose target smuggles data out ("click here" → https://evil.com/?q=<secret>)
 * or unfurls/loads an image from an attacker's server. `sanitizeAnswer` rewrites those constructs into
 * visible, inert text and reports what it changed.
 *
 * Design rules:
 * - Context-free: the same rules apply inside code blocks and inline code (Slack does not render mentions in
 *   code, but staying context-free keeps this simple and lets `SafeStreamBuffer` sanitize a stream piecewise).
 *   The cost: an untrusted URL inside a code block is defanged too.
 * - Local: every rule matches within one line, and only links (`[..](..)`, `[..]: url`) and angle tokens
 *   (`<...>`) can contain whitespace. Sanitizing two pieces split at whitespace outside those constructs gives
 *   the same result as sanitizing the whole — `SafeStreamBuffer` relies on this.
 * - A URL is trusted when it appears verbatim in the input text (the user's message / thread context);
 *   Slack-escaped input (`&amp;`) counts, and so does a prefix of an input URL (it adds no data);
 *   anything else is defanged (`https://evil.com/x` → `hxxps://evil[.]com/x`) so it is neither clickable
 *   nor unfurled, and masked links show their target next to their text.
 */

export interface SanitizeContext {
  /** Everything the model was given that a user or tool supplied; URLs found in it are trusted. */
  inputText: string;
  /** Slack user ids taking part in the conversation; only they may be mentioned. */
  participants: string[];
  /** The bot's own user id, always allowed. */
  botUserId?: string;
}

export type SafetyChange = 'broadcast' | 'mention' | 'link' | 'image';

export interface SanitizeResult {
  text: string;
  /** Kinds of rewrite that happened, each listed once, in order of first occurrence (for logging). */
  changes: SafetyChange[];
}

const ZWSP = '\u200B';

/**
 * TLDs for which a bare `name.tld` counts as a link (Slack auto-links bare domains, and a subdomain alone can
 * leak data through the unfurler's DNS lookup). Deliberately short: TLDs that clash with file extensions or
 * words (`.md`, `.py`, `.sh`, `.rs`, `.to`, `.in`, `.it`…) are left out so `README.md` stays readable.
 */
const BARE_TLDS = 'com|net|org|io|ai|co|app|dev|xyz|info|biz|ly|gg|tv|site|online|link|click|top|cloud|live|shop|tech|page|ru|cn|uk|de|fr|nl|eu|us|ca|au|jp|br';

/**
 * One scan over the text; at each position the first alternative that matches wins.
 *  1-3  Markdown link / image `[text](url "title")`, `![alt](url)` (one level of parentheses in the URL).
 *  4-6  Reference definition `[id]: url` (unanchored, so the rule stays local).
 *  7    Slack angle token `<...>`: `<@U1|name>`, `<!channel>`, `<https://x|text>`, `<#C1>`, or stray `<b>`.
 *  8    Plain-text broadcast `@channel` / `@here` / `@everyone` (not part of an e-mail address).
 *  -    Bare URL `https://…`, `ftp://…`, `www.…`, or a bare domain Slack would auto-link (`evil.com/x`,
 *       `secret.evil.io`) for common TLDs (trailing punctuation is trimmed below).
 */
const PATTERN = new RegExp(
  [
    String.raw`(!?)\[([^\[\]\n]*)\]\([ \t]*((?:[^()\s]|\([^()\s]*\))+)(?:[ \t]+"[^"\n]*")?[ \t]*\)`,
    String.raw`\[([^\[\]\n]*)\]:([ \t]*)(\S+)`,
    String.raw`<([^<>\n]*)>`,
    String.raw`(?<![\w.@])@(channel|here|everyone)(?![\w-])`,
    String.raw`(?:(?:https?|ftp):\/\/|(?<![\w.\/-])www\.)[^\s<>"'\`|]+`,
    String.raw`(?<![\w.@\/-])(?:[a-z0-9-]+\.)+(?:${BARE_TLDS})(?![\w-])(?:[\/?#][^\s<>"'\`|]*)?`,
  ].join('|'),
  'gi',
);

/** `<inner>` that is a link: a scheme URL, `www.…`, or a bare host name, optionally with `|label`. */
const ANGLE_LINK = /^((?:[a-z][a-z0-9+.-]+:|www\.)[^|\s]*|[\w-]+(?:\.[\w-]+)+(?:[/?#][^|\s]*)?)(?:\|(.*))?$/i;
const LOOKS_LIKE_URL = /^(?:[a-z][a-z0-9+.-]+:|www\.)/i;

/** Makes a URL unclickable and un-unfurlable while keeping it readable: `hxxps://evil[.]com/a[.]php`. */
export function defangUrl(url: string): string {
  return url
    .replace(/^htt(ps?)(?=:)/i, (_m, rest: string) => `hxx${rest.toLowerCase()}`)
    .replace(/^ftp(?=:)/i, 'fxp')
    .replace(/\./g, '[.]');
}

/** `@channel` → `@\u200Bchannel`: still readable, no longer a broadcast keyword. */
function neutralizeWord(word: string): string {
  return `@${ZWSP}${word}`;
}

const decodeEntities = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Splits a bare URL match into the URL and trailing punctuation that belongs to the sentence. */
function trimUrl(raw: string): [url: string, tail: string] {
  let url = raw.replace(/[.,;:!?*_~\]}'"]+$/, '');
  while (url.endsWith(')') && url.split(')').length > url.split('(').length) url = url.slice(0, -1);
  return [url, raw.slice(url.length)];
}

export function sanitizeAnswer(markdown: string, ctx: SanitizeContext): SanitizeResult {
  const changes = new Set<SafetyChange>();
  const allowed = new Set(ctx.participants);
  if (ctx.botUserId) allowed.add(ctx.botUserId);
  const input = ctx.inputText;
  const decodedInput = decodeEntities(input);
  // Trusted: occurs in the input starting at a URL boundary (so `e.com` is not trusted by `the example.com`).
  // A prefix of an input URL is trusted too: it cannot carry more than the user supplied.
  const trusted = (url: string) =>
    url.length > 0 && [input, decodedInput].some((t) => occursAsUrl(t, url) || occursAsUrl(t, decodeEntities(url)));

  /** Text plus the defanged target, for a link whose target is not trusted. */
  const inert = (text: string, url: string, kind: SafetyChange = 'link') => {
    changes.add(kind);
    const shown = text.trim();
    return shown && shown !== url ? `${shown} (${defangUrl(url)})` : defangUrl(url);
  };

  const angle = (inner: string): string => {
    if (inner.startsWith('@')) {
      const [id = '', label] = splitLabel(inner.slice(1));
      if (allowed.has(id)) return `<${inner}>`;
      changes.add('mention');
      const name = label?.replace(/^@/, '') || id;
      // Plain `@name` does not ping, but must not become a broadcast keyword (`<@U1|channel>`).
      return /^(channel|here|everyone)$/i.test(name) ? neutralizeWord(name) : `@${run(name)}`;
    }
    if (inner.startsWith('!')) {
      const [head = '', fallback] = splitLabel(inner.slice(1));
      const parts = head.split('^');
      const word = (parts[0] ?? '').toLowerCase();
      if (word === 'date') {
        // `<!date^ts^format^optional_link|fallback>` never pings, but its optional link must be trusted.
        const link = parts[3];
        const safeHead = link !== undefined && !trusted(link) ? (changes.add('link'), parts.slice(0, 3).join('^')) : head;
        return fallback === undefined ? `<!${safeHead}>` : `<!${safeHead}|${run(fallback)}>`;
      }
      changes.add('broadcast');
      const name = fallback?.replace(/^@/, '') || (word === 'subteam' ? 'usergroup' : word || 'channel');
      return neutralizeWord(run(name));
    }
    if (inner.startsWith('#')) return `<${inner}>`; // channel link: no ping
    const link = ANGLE_LINK.exec(inner);
    if (link) {
      const url = link[1] ?? '';
      const label = link[2] === undefined ? undefined : run(link[2]);
      if (trusted(url)) return label === undefined ? `<${url}>` : `<${url}|${label}>`;
      return inert(label ?? '', url);
    }
    return `<${run(inner)}>`; // not a Slack token (`Vec<T>`, `<b>`); keep, but sanitize what is inside
  };

  const run = (text: string): string =>
    text.replace(PATTERN, (match, ...g: (string | undefined)[]) => {
      const [bang, linkText, linkUrl, defId, defSpace, defDest, inner, broadcast] = g;
      if (linkUrl !== undefined) {
        const url = linkUrl.replace(/^<(.*)>$/, '$1');
        const text = run(linkText ?? '');
        if (bang) {
          // Images never render as images: a trusted one becomes a plain link, others inert text.
          if (trusted(url)) return (changes.add('image'), `[${text || url}](${url})`);
          return inert(text, url, 'image');
        }
        return trusted(url) ? `[${text}](${url})` : inert(text, url);
      }
      if (defDest !== undefined) {
        const [url, tail] = trimUrl(defDest);
        if (!LOOKS_LIKE_URL.test(url) || trusted(url)) return `[${defId}]:${defSpace}${run(defDest)}`;
        changes.add('link');
        // Escaped so it is no longer a definition: `[text][id]` then renders literally, target visible.
        return `\\[${defId}]:${defSpace}${defangUrl(url)}${tail}`;
      }
      if (inner !== undefined) return angle(inner);
      if (broadcast !== undefined) return (changes.add('broadcast'), neutralizeWord(broadcast));
      const [url, tail] = trimUrl(match);
      if (trusted(url)) return match;
      changes.add('link');
      return defangUrl(url) + tail;
    });

  const text = run(markdown);
  return { text, changes: [...changes] };
}

function occursAsUrl(text: string, url: string): boolean {
  for (let i = text.indexOf(url); i >= 0; i = text.indexOf(url, i + 1)) {
    if (i === 0 || !/[\w.\-\/:@%~+=&?#]/.test(text[i - 1] ?? '') || text.slice(i - 3, i) === '://') return true;
  }
  return false;
}

function splitLabel(s: string): [string, string | undefined] {
  const bar = s.indexOf('|');
  return bar < 0 ? [s, undefined] : [s.slice(0, bar), s.slice(bar + 1)];
}
