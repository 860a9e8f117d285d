/**
 * Text from outside (a Slack message, a slash command, a console line), cleaned at the edge before it is
 * stored or sent to a model:
 *  - NUL and the other C0 controls except tab, newline and carriage return, and DEL, are dropped: PostgreSQL
 *    refuses 0x00 in text, and the others carry no meaning in chat but confuse models and logs;
 *  - a lone surrogate (half of a UTF-16 pair, e.g. "\ud83d" from a JSON escape or a message cut mid-emoji)
 *    becomes U+FFFD: it is not valid Unicode, cannot be encoded as UTF-8, and databases and model APIs refuse
 *    or mangle it.
 * Invalid UTF-8 bytes never get this far as bytes: the HTTP body is decoded as UTF-8 before JSON.parse, which
 * turns each into U+FFFD already; what JSON can still carry is the escaped lone surrogate handled here.
 * Anything that is not a string (a malformed event) becomes ''.
 */
export function cleanInput(text: unknown): string {
  if (typeof text !== 'string') return '';
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
