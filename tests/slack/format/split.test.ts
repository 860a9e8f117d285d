import { describe, expect, it } from 'vitest';
import { SLACK_LIMITS, closesFence, matchFence, splitMessage } from '../../../src/slack/format/split.js';

/** Every part opens and closes its fences (an even number of fence lines, checked as a parser would). */
function expectBalanced(part: string) {
  let open: ReturnType<typeof matchFence> = null;
  for (const line of part.split('\n')) {
    if (open) {
      if (closesFence(line, open)) open = null;
    } else open = matchFence(line);
  }
  expect(open, `unclosed fence in part:\n${part.slice(-200)}`).toBeNull();
}

const paragraph = (i: number) =>
  `Paragraph ${i}: the deployment pipeline builds the image, runs the migrations and then shifts traffic. ` +
  `If the health check fails, it rolls back automatically and posts a summary to the channel.`;

describe('splitMessage', () => {
  it('exports the Slack limits', () => {
    expect(SLACK_LIMITS).toEqual({ sectionText: 3000, messageText: 3500, streamMarkdown: 12000, blocks: 50 });
  });

  it('returns short text as one trimmed part and nothing for empty text', () => {
    expect(splitMessage('  hello\n')).toEqual(['hello']);
    expect(splitMessage('')).toEqual([]);
  });

  it('splits a 10,000-character answer with a code block into parts ≤ limit with balanced fences', () => {
    const code = Array.from({ length: 120 }, (_, i) => `  const value${i} = compute(${i}); // step ${i}`).join('\n');
    const text = [
      ...Array.from({ length: 20 }, (_, i) => paragraph(i)),
      '```typescript',
      code,
      '```',
      ...Array.from({ length: 20 }, (_, i) => paragraph(i + 20)),
    ].join('\n\n');
    expect(text.length).toBeGreaterThan(10_000);
    const parts = splitMessage(text);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
      expectBalanced(part);
    }
    // The block cut in two is reopened with its language, and no line of code is lost.
    const continued = parts.filter((p) => p.startsWith('```typescript\n'));
    expect(continued.length).toBeGreaterThanOrEqual(1);
    const joined = parts.join('\n');
    for (let i = 0; i < 120; i++) expect(joined).toContain(`  const value${i} = compute(${i}); // step ${i}`);
    for (let i = 0; i < 40; i++) expect(joined).toContain(paragraph(i));
  });

  it('prefers paragraph boundaries', () => {
    const text = [paragraph(1), paragraph(2), paragraph(3)].join('\n\n');
    const parts = splitMessage(text, paragraph(1).length + paragraph(2).length + 10);
    expect(parts).toEqual([`${paragraph(1)}\n\n${paragraph(2)}`, paragraph(3)]);
  });

  it('falls back to line, then sentence, then word boundaries', () => {
    const lines = ['alpha line one', 'beta line two', 'gamma line three'].join('\n');
    expect(splitMessage(lines, 32)).toEqual(['alpha line one\nbeta line two', 'gamma line three']);
    const sentences = 'First sentence is here. Second one follows! Third is last.';
    expect(splitMessage(sentences, 45)).toEqual(['First sentence is here. Second one follows!', 'Third is last.']);
    expect(splitMessage('aaaa bbbb cccc dddd eeee ffff', 14)).toEqual(['aaaa bbbb cccc', 'dddd eeee ffff']);
    expect(splitMessage('aaaa bbbb cccc dddd eeee ffff', 13)).toEqual(['aaaa bbbb', 'cccc dddd', 'eeee ffff']);
  });

  it('hard-cuts a word longer than the limit', () => {
    const parts = splitMessage('x'.repeat(25), 10);
    expect(parts).toEqual(['xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx']);
  });

  it('does not cut inside a Slack link token or a surrogate pair', () => {
    // The last space within the limit is inside the token: the cut moves before `<`.
    expect(splitMessage('word word <https://ex.io/a|a long label> end', 32)).toEqual([
      'word word',
      '<https://ex.io/a|a long label>',
      'end',
    ]);
    const emoji = splitMessage('😀'.repeat(10), 5);
    expect(emoji.join('')).toBe('😀'.repeat(10));
    for (const p of emoji) expect(p).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });

  it('closes and reopens a long code block, keeping the fence and language', () => {
    const body = Array.from({ length: 40 }, (_, i) => `print(${i})`).join('\n');
    const parts = splitMessage(`Example:\n~~~~python\n${body}\n~~~~\nDone.`, 120);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(120);
      expectBalanced(part);
    }
    const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `print(${from + i})`);
    expect(parts).toEqual([
      ['Example:', '~~~~python', ...lines(0, 10), '~~~~'].join('\n'),
      ['~~~~python', ...lines(10, 20), '~~~~'].join('\n'),
      ['~~~~python', ...lines(20, 30), '~~~~'].join('\n'),
      ['~~~~python', ...lines(30, 40), '~~~~'].join('\n'), // the original closing fence
      'Done.',
    ]);
  });

  it('closes a fence left open at the end of the answer', () => {
    expect(splitMessage('Partial:\n```js\nconst a = 1;')).toEqual(['Partial:\n```js\nconst a = 1;\n```']);
  });
});
