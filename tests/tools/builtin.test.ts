import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { calculate, calculatorTool } from '../../src/tools/builtin/calculator.js';
import { hostAllowed, httpFetchTool } from '../../src/tools/builtin/http-fetch.js';
import { localTime, peopleAndTimeTools } from '../../src/tools/builtin/people-time.js';
import { SlackAccess } from '../../src/tools/builtin/slack-access.js';
import { channelId } from '../../src/tools/builtin/slack-read.js';

const env = () => ({ signal: new AbortController().signal });
const failure = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string; message?: string }) => e);

describe('calculator (mathjs, never eval)', () => {
  test('arithmetic, percentages, functions and units', () => {
    expect(calculate('2340 * 17.5% / 12')).toBe('34.125');
    expect(calculate('(1200 - 950) / 950 * 100')).toBe('26.315789473684');
    expect(calculate('sqrt(2)^2')).toBe('2');
    expect(calculate('mean([1, 2, 3, 4])')).toBe('2.5');
    expect(calculate('5 cm to inch')).toBe('1.9685039370079 inch');
  });

  test('refuses code, definitions, huge structures and slow functions with a reason', async () => {
    for (const [expression, reason] of [
      ['import({}, {})', /function import is not available/], ['f(x) = x', /functionassignment expressions are not allowed/],
      ['a = 5', /assignment expressions/], ['1:100000000', /range expressions/], ['ones(10000, 10000)', /function ones/],
      ['combinations(1e9, 5e8)', /function combinations/], ['constructor.constructor("return process")()', /not allowed|could not/],
      ['x'.repeat(600), /longer than 500/], ['', /empty/], ['2 +* 3', /could not parse/],
    ] as const) {
      expect(() => calculate(expression), expression.slice(0, 40)).toThrow(reason);
    }
    expect((await failure(calculatorTool.run({ expression: 'evaluate("1+1")' }, env())))?.code).toBe('TOOL_INPUT_INVALID');
    expect((await failure(calculatorTool.run({ expr: '1' }, env())))?.code).toBe('TOOL_INPUT_INVALID');
    expect(await calculatorTool.run({ expression: '6*7' }, env())).toBe('6*7 = 42');
  });
});

describe('http_fetch', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/page') return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html><head><script>evil()</script></head><body><h1>Status</h1><p>All <b>systems</b> go.</p><img src="x.png"></body></html>');
      if (req.url === '/hop') return void res.writeHead(302, { location: '/page' }).end();
      if (req.url === '/away') return void res.writeHead(301, { location: 'http://localhost:1/secret' }).end();
      if (req.url === '/big') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('a'.repeat(50_000));
      if (req.url === '/bin') return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(10));
      res.writeHead(404, { 'content-type': 'text/plain' }).end('nope');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const tool = () => httpFetchTool({ allowlist: ['127.0.0.1'], maxBytes: 1000 });

  test('allowlist: exact hosts and their subdomains only', () => {
    expect(hostAllowed('docs.example.com', ['example.com'])).toBe(true);
    expect(hostAllowed('example.com.', ['example.com'])).toBe(true);
    expect(hostAllowed('badexample.com', ['example.com'])).toBe(false);
    expect(hostAllowed('example.com.evil.io', ['example.com'])).toBe(false);
  });

  test('readable text from HTML (scripts and images dropped), redirects followed within the allowlist', async () => {
    const text = await tool().run({ url: `${base}/hop` }, env());
    expect(text).toContain(`URL: ${base}/page`);
    expect(text).toMatch(/STATUS\s+All systems go\./);
    expect(text).not.toMatch(/evil|x\.png/);
  });

  test('a redirect to a host outside the allowlist, other schemes, binary content and errors are refused', async () => {
    expect(await failure(tool().run({ url: `${base}/away` }, env()))).toMatchObject({ code: 'TOOL_REFUSED', message: expect.stringMatching(/localhost is not on the list/) });
    expect(await failure(tool().run({ url: 'file:///etc/passwd' }, env()))).toMatchObject({ code: 'TOOL_REFUSED' });
    expect(await failure(tool().run({ url: 'https://example.com/' }, env()))).toMatchObject({ code: 'TOOL_REFUSED' });
    expect(await failure(tool().run({ url: `${base}/bin` }, env()))).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/image\/png/) });
    expect(await failure(tool().run({ url: `${base}/missing` }, env()))).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/HTTP 404/) });
  });

  test('the size limit stops the download', async () => {
    const text = await tool().run({ url: `${base}/big` }, env());
    expect(text).toContain('Only the first 1000 bytes were read.');
    expect(text.match(/a/g)!.length).toBeLessThanOrEqual(1000 + 5);
  });
});

describe('time, people and channel references', () => {
  test('current_time: an explicit zone, or the server\'s outside Slack; a bad zone is refused', async () => {
    const [, currentTime] = peopleAndTimeTools(new SlackAccess(), () => new Date('2026-03-03T14:05:00Z'));
    expect(await currentTime!.run({ timezone: 'America/New_York' }, env())).toContain('Tuesday 2026-03-03 09:05 in America/New_York (GMT-05:00)');
    expect(await currentTime!.run({}, env())).toMatch(/time zone from the server's time zone/);
    expect(await failure(currentTime!.run({ timezone: 'Mars/Base' }, env()))).toMatchObject({ code: 'TOOL_INPUT_INVALID' });
    expect(localTime(new Date('2026-07-01T12:00:00Z'), 'Europe/London')).toBe('Wednesday 2026-07-01 13:00 in Europe/London (GMT+01:00)');
  });

  test('Slack tools outside Slack say so', async () => {
    const [userLookup] = peopleAndTimeTools(new SlackAccess());
    expect(await failure(userLookup!.run({ user: 'ada' }, { ...env(), context: { runId: 'r', workspaceId: 'console', userId: 'u', surface: 'console' } })))
      .toMatchObject({ code: 'TOOL_UNAVAILABLE', message: expect.stringMatching(/only for requests made in Slack/) });
  });

  test('channel references: IDs and #links, not bare names', () => {
    expect(channelId('C0123ABCD')).toBe('C0123ABCD');
    expect(channelId('<#C0123ABCD|general>')).toBe('C0123ABCD');
    expect(channelId('#C0123ABCD')).toBe('C0123ABCD');
    expect(() => channelId('general')).toThrow(/not a channel ID/);
  });
});
