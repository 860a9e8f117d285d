import { describe, expect, it } from 'vitest';
import { toMrkdwn } from '../../../src/slack/format/markdown.js';
import { sanitizeAnswer } from '../../../src/safety/output-safety.js';

const Z = '\u200B';

describe('toMrkdwn — inline formatting', () => {
  it('converts headings to bold, also when they contain **bold**', () => {
    expect(toMrkdwn('# Summary\n\n## **Next** steps')).toBe('*Summary*\n\n*Next steps*');
  });

  it('converts bold, italics and strike; drops zero-width spaces only next to whitespace', () => {
    expect(toMrkdwn('Use **bold** and *italic* or _this_ and ~~old~~ text')).toBe(
      'Use *bold* and _italic_ or _this_ and ~old~ text',
    );
    expect(toMrkdwn('**Note:** the fix')).toBe('*Note:* the fix');
  });

  it('keeps zero-width spaces where formatting touches letters or punctuation', () => {
    expect(toMrkdwn('It is **fast**, really.')).toBe(`It is *fast*${Z}, really.`);
    expect(toMrkdwn('un**believ**able')).toBe(`un${Z}*believ*${Z}able`);
  });

  it('renders links as Slack links, collapsing <url|url>', () => {
    expect(toMrkdwn('See [the guide](https://example.com/a?b=1&c=2) or https://example.com/x')).toBe(
      'See <https://example.com/a?b=1&c=2|the guide> or <https://example.com/x>',
    );
  });

  it('passes Slack tokens through untouched (slackify breaks labelled ones)', () => {
    const tokens = '<@U0ALICE> <@U0BOB|bob> <#C0GEN|general> <!date^1700000000^{date_short}|Nov 14> <https://x.io|x>';
    expect(toMrkdwn(tokens)).toBe(tokens);
  });

  it('escapes stray angle brackets and ampersands', () => {
    expect(toMrkdwn('if a < b && c > d use <div> -> ok')).toBe('if a &lt; b &amp;&amp; c &gt; d use &lt;div&gt; -&gt; ok');
    expect(toMrkdwn('> quoted > text\n> > nested')).toBe('> quoted &gt; text\n>\n> > nested');
  });

  it('keeps sanitized output inert', () => {
    const { text } = sanitizeAnswer('Post <!channel> and [click](https://evil.com/x)', {
      inputText: '',
      participants: [],
    });
    expect(toMrkdwn(text)).toBe(`Post @${Z}channel and click (hxxps://evil[.]com/x)`);
  });
});

describe('toMrkdwn — blocks', () => {
  it('renders bullet, nested, ordered and task lists', () => {
    expect(toMrkdwn('- one\n- two\n  - nested\n\n3. three\n4. four\n\n- [ ] todo\n- [x] done')).toBe(
      '• one\n• two\n    • nested\n\n3. three\n4. four\n\n• ☐ todo\n• ☑ done',
    );
  });

  it('renders fenced code without the language and escapes Slack control characters in it', () => {
    expect(toMrkdwn('Run:\n\n```ts\nif (a < b && c) {\n  go();\n}\n```\n\nDone.')).toBe(
      'Run:\n\n```\nif (a &lt; b &amp;&amp; c) {\n  go();\n}\n```\n\nDone.',
    );
  });

  it('does not apply Markdown inside code', () => {
    expect(toMrkdwn('```\n**not bold** [x](y) # no heading\n```')).toBe('```\n**not bold** [x](y) # no heading\n```');
    expect(toMrkdwn('Call `a_b_c(**x)` or `Vec<u8>`')).toBe('Call `a_b_c(**x)` or `Vec&lt;u8&gt;`');
  });

  it('turns a code block inside a list item into a top-level block and keeps numbering', () => {
    expect(toMrkdwn('1. Install:\n   ```bash\n   npm ci\n   ```\n2. Start')).toBe(
      '1. Install:\n\n```\nnpm ci\n```\n2. Start',
    );
  });

  it('renders a table as an aligned code block', () => {
    const table = '| Service | Latency (ms) | Owner |\n|:--|--:|---|\n| **api** | 12 | `team-a` |\n| search | 340 | [b](https://b.io) |';
    expect(toMrkdwn(`Results:\n\n${table}\n\nThat is all.`)).toBe(
      [
        'Results:',
        '',
        '```',
        'Service | Latency (ms) | Owner',
        '--------+--------------+-----------------',
        'api     |           12 | team-a',
        'search  |          340 | b (https://b.io)',
        '```',
        '',
        'That is all.',
      ].join('\n'),
    );
  });

  it('renders a table without outer pipes', () => {
    expect(toMrkdwn('a | b\n--|--\n1 | 22')).toBe('```\na   | b\n----+----\n1   | 22\n```');
  });

  it('fixes hard breaks, rules and keeps quotes', () => {
    expect(toMrkdwn('one  \ntwo\n\n---\n\n> quoted')).toBe('one\ntwo\n\n──────────\n\n> quoted');
  });
});
