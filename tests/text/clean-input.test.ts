import { describe, expect, test } from 'vitest';
import { cleanInput } from '../../src/text/clean-input.js';

describe('cleanInput', () => {
  test.each([
    ['NUL inside a word', 'hel\u0000lo', 'hello'],
    ['other C0 controls and DEL', 'a\u0001b\u0007c\u001Bd\u001Fe\u007Ff', 'abcdef'],
    ['tab, newline and carriage return stay', 'a\tb\nc\r\nd', 'a\tb\nc\r\nd'],
    ['a lone high surrogate', 'cut \uD83D here', 'cut \uFFFD here'],
    ['a lone low surrogate', 'x\uDE00y', 'x\uFFFDy'],
    ['a high surrogate at the end', 'emoji\uD83D', 'emoji\uFFFD'],
    ['two high surrogates then a low one: the first is lone', '\uD83D\uD83D\uDE00', '\uFFFD\uD83D\uDE00'],
    ['pairs (emoji) stay', 'ok 😀 👍🏽 🇫🇷', 'ok 😀 👍🏽 🇫🇷'],
    ['U+FFFD from decoded invalid UTF-8 stays', Buffer.from([0x61, 0xff, 0x62]).toString('utf8'), 'a\uFFFDb'],
    ['C1 controls and other scripts stay', 'ü 中文 \u0085 \u200B', 'ü 中文 \u0085 \u200B'],
    ['empty', '', ''],
  ])('%s', (_name, input, expected) => {
    expect(cleanInput(input)).toBe(expected);
  });

  test('JSON-escaped NUL and lone surrogates, as Slack could send them, come out encodable as UTF-8', () => {
    const parsed = JSON.parse('{"text":"a\\u0000b \\ud800 c"}') as { text: string };
    const clean = cleanInput(parsed.text);
    expect(clean).toBe('ab \uFFFD c');
    expect(/[\uD800-\uDFFF]/.test(clean.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))).toBe(false);
    expect(Buffer.from(clean, 'utf8').toString('utf8')).toBe(clean);
  });

  test('what is not a string becomes empty text', () => {
    expect(cleanInput(undefined)).toBe('');
    expect(cleanInput(42)).toBe('');
    expect(cleanInput({ text: 'x' })).toBe('');
  });
});
