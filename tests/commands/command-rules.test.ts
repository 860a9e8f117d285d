import { describe, expect, test } from 'vitest';
import { parseBetter } from '../../src/commands/better-command.js';
import { parseMetrics } from '../../src/commands/metrics-command.js';
import { reply } from '../../src/commands/usage.js';
import { parseSaveWorkflow } from '../../src/commands/workflow-commands.js';
import { classifyFeedback } from '../../src/feedback/classify.js';
import { renderMetricsChart } from '../../src/metrics/chart.js';
import { effect } from '../../src/text/format.js';
import { explicitWorkflowName, jaccard, tokens, triggerScore } from '../../src/workflows/similarity.js';
import { pngSize } from './slack-helpers.js';

describe('argument parsing', () => {
  test('/better: an optional whole rating 1–5, then words; at least one', () => {
    expect(parseBetter('4')).toEqual({ rating: 4 });
    expect(parseBetter('2 too slow')).toEqual({ rating: 2, text: 'too slow' });
    expect(parseBetter('4/5 nice')).toEqual({ rating: 4, text: 'nice' });
    expect(parseBetter('use bullet points')).toEqual({ text: 'use bullet points' });
    for (const bad of ['', '   ', '0', '6', '10 great', '3.5', '-1 bad']) expect(parseBetter(bad), bad).toHaveProperty('error');
    expect(parseBetter('help')).toEqual({ error: null });
  });

  test('/save-workflow: a slug name (lowercased), a description, --replace (or a dash autocorrected from it)', () => {
    expect(parseSaveWorkflow('Weekly-Report every Monday')).toEqual({ name: 'weekly-report', description: 'every Monday', replace: false });
    expect(parseSaveWorkflow('weekly-report --replace')).toEqual({ name: 'weekly-report', replace: true });
    expect(parseSaveWorkflow('—replace weekly-report')).toEqual({ name: 'weekly-report', replace: true });
    expect(parseSaveWorkflow('`weekly-report`')).toEqual({ name: 'weekly-report', replace: false });
    for (const bad of ['', 'bad_name', 'über', '-x', 'ok --force', `${'a'.repeat(64)}`]) expect(parseSaveWorkflow(bad), bad).toHaveProperty('error');
  });

  test('/metrics: period and agent in either order; period-like words are bad periods', () => {
    expect(parseMetrics('')).toEqual({ period: '7d' });
    expect(parseMetrics('30d')).toEqual({ period: '30d' });
    expect(parseMetrics('research all')).toEqual({ period: 'all', agentId: 'research' });
    expect(parseMetrics('24H Research')).toEqual({ period: '24h', agentId: 'research' });
    for (const bad of ['5d', '1w', 'weekly', 'yesterday', '7d 30d', '7d a b', 'a b', 'Bad!Agent']) expect(parseMetrics(bad), bad).toHaveProperty('error');
  });
});

describe('feedback categories', () => {
  test.each([
    ['it took ages to answer', 'too_slow'], ['way too slow', 'too_slow'], ['The numbers are wrong', 'wrong'],
    ['you made that up', 'wrong'], ['it missed the Q3 part', 'incomplete'], ['needs more detail', 'incomplete'],
    ['please use a table', 'formatting'], ['the answer is too long', 'formatting'], ['a bit rude', 'tone'],
    ['it crashed with an error message', 'bug'], ['nothing happened', 'bug'], ['thanks!', 'other'],
  ])('%s → %s', (text, category) => { expect(classifyFeedback(text)).toBe(category); });

  test('no words: a low rating still files a proposal, a good one does not', () => {
    expect(classifyFeedback(undefined, 1)).toBe('other');
    expect(classifyFeedback('', 2)).toBe('other');
    expect(classifyFeedback(undefined, 4)).toBeNull();
    expect(classifyFeedback(undefined)).toBeNull();
  });
});

describe('workflow matching', () => {
  test('normalised words: case, punctuation, stopwords, plurals', () => {
    expect([...tokens('Please write THE weekly reports, for the team!')]).toEqual(['write', 'weekly', 'report', 'team']);
    expect(jaccard(new Set(['a', 'b']), new Set(['b', 'c']))).toBeCloseTo(1 / 3);
    expect(jaccard(new Set(), new Set())).toBe(0);
    expect(triggerScore('write the weekly report for the team', ['Please write the weekly reports for our team.'])).toBe(1);
    expect(triggerScore('write a poem', ['write the weekly report'])).toBeLessThan(0.6);
  });

  test('"run workflow <name>"', () => {
    expect(explicitWorkflowName('run workflow weekly-report')).toBe('weekly-report');
    expect(explicitWorkflowName('<@UBOT> Run the workflow: `Weekly-Report`.')).toBe('weekly-report');
    expect(explicitWorkflowName('can you run workflow weekly-report and then more')).toBeNull();
  });
});

describe('report pieces', () => {
  test('the chart: a PNG with both panels, none when there were no runs', () => {
    const day = (d: string, runs: number, succeeded: number, costUsd: number) => ({ day: d, runs, finished: runs, succeeded, costUsd });
    const png = renderMetricsChart([day('2026-11-20', 3, 2, 0.01), day('2026-11-21', 0, 0, 0), day('2026-11-22', 5, 5, 0.02)], 'Metrics');
    expect(pngSize(png!)).toEqual({ width: 1000, height: 820 });
    expect(renderMetricsChart([day('2026-11-22', 0, 0, 0)], 'Metrics')).toBeNull();
    expect(renderMetricsChart([], 'Metrics')).toBeNull();
  });

  test('measured effect of an improvement', () => {
    expect(effect(null)).toBe('effect not measured yet');
    expect(effect({ summary: 'success rate up 12 points' })).toBe('success rate up 12 points');
    expect(effect({ success_rate: { before: 0.7, after: 0.85 }, runs: 40 })).toBe('success rate 0.7 → 0.85, runs 40');
  });

  test('long replies are split into sections under Slack\'s limit, at line ends', () => {
    const text = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    const { blocks } = reply(text);
    expect(blocks!.length).toBeGreaterThan(2);
    for (const b of blocks as Array<{ text: { text: string } }>) expect(b.text.text.length).toBeLessThanOrEqual(2900);
    expect((blocks as Array<{ text: { text: string } }>).map((b) => b.text.text).join('\n')).toBe(text);
  });
});
