import { convert } from 'html-to-text';
import { z } from 'zod';
import { ToolError, type ToolDefinition } from '../types.js';
import { defineTool } from './define.js';

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HTML = /^(text\/html|application\/xhtml\+xml)/i;
const TEXTUAL = /^(text\/|application\/(json|xml|[\w.+-]+\+(json|xml))|application\/(javascript|x-ndjson))/i;

/** A host is allowed when it is an allowlist entry or a subdomain of one (IP addresses only when listed exactly). */
export function hostAllowed(hostname: string, allowlist: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return allowlist.some((entry) => host === entry || host.endsWith(`.${entry}`));
}

function checkUrl(url: URL, allowlist: readonly string[]): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ToolError('TOOL_REFUSED', `only http and https addresses can be fetched, not ${url.protocol}`);
  if (url.username || url.password) throw new ToolError('TOOL_REFUSED', 'addresses with credentials are not fetched');
  if (!hostAllowed(url.hostname, allowlist)) {
    throw new ToolError('TOOL_REFUSED', `${url.hostname} is not on the list of sites I may read (HTTP_FETCH_ALLOWLIST: ${allowlist.join(', ')})`);
  }
}

/** Reads at most maxBytes of the body, then stops the download. */
async function readCapped(response: Response, maxBytes: number): Promise<{ bytes: Uint8Array; cut: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { bytes: new Uint8Array(), cut: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - size;
    chunks.push(value.byteLength > room ? value.subarray(0, room) : value);
    size += Math.min(value.byteLength, room);
    if (value.byteLength >= room) {
      cut = true;
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return { bytes: Buffer.concat(chunks), cut };
}

function decode(bytes: Uint8Array, contentType: string): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType)?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

/**
 * http_fetch: GET a page from an allowlisted site and return its readable text. Redirects are followed by
 * hand so that every hop is checked against the allowlist (fetch's own redirect handling would not).
 */
export function httpFetchTool(options: { allowlist: readonly string[]; maxBytes: number }): ToolDefinition {
  return defineTool({
    name: 'http_fetch',
    description: `Fetches a web page or document over HTTP(S) and returns its readable text. Only these sites (and their subdomains) can be read: ${options.allowlist.join(', ')}.`,
    schema: z.object({ url: z.string().max(2000).describe('the full address, starting with https://') }),
    readOnly: true,
    async run({ url: raw }, { signal }) {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new ToolError('TOOL_INPUT_INVALID', `"${raw}" is not a valid URL`);
      }
      for (let hop = 0; ; hop++) {
        checkUrl(url, options.allowlist);
        let response: Response;
        try {
          response = await fetch(url, {
            redirect: 'manual', signal,
            headers: { 'user-agent': 'Improver-http_fetch/1.0', accept: 'text/html, text/plain;q=0.9, application/json;q=0.9, */*;q=0.1' },
          });
        } catch (error) {
          if (signal.aborted) throw error;
          throw new ToolError('TOOL_FAILED', `could not reach ${url.host}: ${(error as Error).message}`, { cause: error });
        }
        if (REDIRECTS.has(response.status)) {
          await response.body?.cancel().catch(() => {});
          const location = response.headers.get('location');
          if (!location) throw new ToolError('TOOL_FAILED', `${url.host} answered a redirect without a Location`);
          if (hop >= MAX_REDIRECTS) throw new ToolError('TOOL_FAILED', `more than ${MAX_REDIRECTS} redirects`);
          url = new URL(location, url);
          continue;
        }
        const contentType = response.headers.get('content-type') ?? 'text/plain';
        if (!TEXTUAL.test(contentType) && !HTML.test(contentType)) {
          await response.body?.cancel().catch(() => {});
          throw new ToolError('TOOL_FAILED', `${url.href} is ${contentType.split(';')[0]}, which I cannot read as text`);
        }
        const { bytes, cut } = await readCapped(response, options.maxBytes);
        const body = decode(bytes, contentType);
        const text = HTML.test(contentType)
          ? convert(body, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }, { selector: 'a', options: { hideLinkHrefIfSameAsText: true } }] })
          : body;
        if (response.status >= 400) throw new ToolError('TOOL_FAILED', `${url.href} answered HTTP ${response.status}: ${text.slice(0, 300)}`);
        const note = cut ? `\n(Only the first ${options.maxBytes} bytes were read.)` : '';
        return `URL: ${url.href}\nHTTP ${response.status}, ${contentType.split(';')[0]}${note}\n\n${text.trim()}`;
      }
    },
  });
}
