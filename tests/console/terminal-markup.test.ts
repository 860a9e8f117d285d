import { describe, expect, test } from 'vitest';
import { renderForTerminal, StreamingMarkup } from '../../src/console/terminal-markup.js';

const BOLD = (t: string) => `\x1b[1m${t}\x1b[22m`;
const ITALIC = (t: string) => `\x1b[3m${t}\x1b[23m`;
const CODE = (t: string) => `\x1b[36m${t}\x1b[39m`;

describe('mrkdwn and Markdown for a terminal', () => {
  test('on a pipe: plain text, no emphasis markers; inline code keeps its backticks', () => {
    const text = [
      '*Runs:* 12 · _median_ 1.2 s, **strong**, ~gone~ and `npm start`',
      '- first <https://example.com/a_b_/|the docs>',
      '* second [guide](https://example.com/guide) for <@U123ABC> in <#C42|general>, <!here>',
      '> quoted &lt;tag&gt; &amp; more',
      '## Heading',
    ].join('\n');
    expect(renderForTerminal(text, false).split('\n')).toEqual([
      'Runs: 12 · median 1.2 s, strong, gone and `npm start`',
      '• first the docs (https://example.com/a_b_/)',
      '• second guide (https://example.com/guide) for @U123ABC in #general, @here',
      '│ quoted <tag> & more',
      'Heading',
    ]);
  });

  test('on a terminal: ANSI bold, italic and code instead of markers', () => {
    expect(renderForTerminal('*Runs:* 3 and _slow_ with `x*y*z`', true)).toBe(`${BOLD('Runs:')} 3 and ${ITALIC('slow')} with ${CODE('x*y*z')}`);
    expect(renderForTerminal('*bold _and italic_* end', true)).toBe(`${BOLD(`bold ${ITALIC('and italic')}`)} end`);
    expect(renderForTerminal('_run `npm start` again_', true)).toBe(ITALIC(`run ${CODE('npm start')} again`));
  });

  test('text that only looks like markup is left as written', () => {
    for (const text of ['2 * 3 * 4 = 24', 'snake_case_name and file_name.txt', 'a*b and c*d', 'price: 5 * 2', '~/notes and ~/more']) {
      expect(renderForTerminal(text, false)).toBe(text);
    }
  });

  test('code blocks keep their content exactly, markers included; fences are dropped', () => {
    const text = 'Run this:\n```ts\nconst x = a * b; // *not bold*\n  indented_name_here\n```\nDone *now*.';
    expect(renderForTerminal(text, false).split('\n')).toEqual(['Run this:', '  const x = a * b; // *not bold*', '    indented_name_here', 'Done now.']);
    // Slack's one-line form.
    expect(renderForTerminal('```npm test```', false)).toBe('  npm test');
  });

  test('a stream split anywhere, even inside markers, renders exactly as the whole text', () => {
    const text = '**Good** answer with `code`:\n- one *bold*\n```\nx = *y*\n```\n_done_ <https://e.x/p|link>';
    const whole = renderForTerminal(text, true);
    for (const size of [1, 2, 3, 5, 8]) {
      const stream = new StreamingMarkup(true);
      let shown = '';
      for (let i = 0; i < text.length; i += size) shown += stream.push(text.slice(i, i + size));
      // Nothing of an unfinished line is shown: only whole lines come out while streaming.
      expect(shown.endsWith('\n')).toBe(true);
      shown += stream.end();
      expect(shown).toBe(whole);
    }
  });
});
