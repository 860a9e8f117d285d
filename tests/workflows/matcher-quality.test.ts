import { describe, expect, test } from 'vitest';
import { matchWorkflow } from '../../src/workflows/matcher.js';
import { figures, loadMatchingSet, oldMatch, type Figures, type LabelledRequest } from './matching-set.js';

// The old matcher (Jaccard of trigger words ≥ 0.6, plus "run workflow <name>") against matcher.ts over the
// hand-labelled set. The matcher was tuned on the dev half only; the held-out half is the honest figure.

const set = loadMatchingSet();
const prefer = (a: { kind: string }, b: { kind: string }) => (a.kind === b.kind ? 0 : a.kind === 'saved' ? -1 : 1);
const newMatch = (item: LabelledRequest) => matchWorkflow(item.request, set.workflows, { prefer }).workflow?.name ?? null;
const old = (item: LabelledRequest) => oldMatch(item.request, set.workflows);

const splits = {
  dev: set.items.filter((i) => i.split === 'dev'),
  heldout: set.items.filter((i) => i.split === 'heldout'),
  all: set.items,
};
const measured = Object.fromEntries(Object.entries(splits).map(([split, items]) => [split, { old: figures(items, old), new: figures(items, newMatch) }])) as
  Record<keyof typeof splits, { old: Figures; new: Figures }>;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(6);
const row = (split: string, matcher: string, f: Figures) =>
  `${split.padEnd(8)} ${matcher.padEnd(4)} ${String(f.items).padStart(5)} ${String(f.positives).padStart(5)} ${String(f.truePositives).padStart(4)} ${String(f.falseMatches).padStart(5)}  ${pct(f.precision)}  ${pct(f.recall)}`;

describe('workflow matching quality', () => {
  test('the labelled set: ≥ 150 requests, about half should match, every expected workflow exists, dev and held-out', () => {
    expect(set.items.length).toBeGreaterThanOrEqual(150);
    expect(new Set(set.items.map((i) => i.request.toLowerCase())).size).toBe(set.items.length);
    const names = new Set(set.workflows.map((w) => w.name));
    for (const item of set.items) if (item.expected) expect(names, item.id).toContain(item.expected);
    const positiveShare = set.items.filter((i) => i.expected).length / set.items.length;
    expect(positiveShare).toBeGreaterThan(0.4);
    expect(positiveShare).toBeLessThan(0.6);
    expect(splits.dev.length).toBeGreaterThan(60);
    expect(splits.heldout.length).toBeGreaterThan(60);
  });

  test('old vs new: precision and recall, dev and held-out', () => {
    const lines = ['split    who  items  pos.   TP false  precision recall'];
    for (const split of ['dev', 'heldout', 'all'] as const) {
      lines.push(row(split, 'old', measured[split].old), row(split, 'new', measured[split].new));
    }
    const misses = splits.heldout.filter((i) => newMatch(i) !== i.expected).map((i) => `  ${i.id} [${i.category}] ${JSON.stringify(i.request)}: expected ${i.expected}, got ${newMatch(i)}`);
    console.log(`${lines.join('\n')}\nheld-out errors of the new matcher:\n${misses.join('\n') || '  none'}`);

    // The targets (precision ≥ 0.95, recall ≥ 0.80 on the held-out half); measured when the matcher was frozen:
    // precision 45/47 = 0.957, recall 45/48 = 0.938. The old matcher's precision is 1.0 only because it
    // replays almost nothing (3 of 48), so precision is held to the target rather than to it.
    const heldout = measured.heldout.new;
    expect(heldout.precision).toBeGreaterThanOrEqual(0.95);
    expect(heldout.recall).toBeGreaterThanOrEqual(0.8);
    expect(heldout.recall).toBeGreaterThan(measured.heldout.old.recall);
    expect(measured.all.new.recall).toBeGreaterThan(measured.all.old.recall);
  });

  test('every request the old matcher got right, the new one does too, or the miss is listed here', () => {
    const regressions = set.items.filter((i) => old(i) === i.expected && i.expected !== null && newMatch(i) !== i.expected).map((i) => i.id);
    // h-113 "what went well and what didn't this sprint, …": nearly the trigger word for word, but it opens with
    // "what", so the question guard blocks it (the guard cannot tell this from "what is a retro?").
    expect(regressions).toEqual(['h-113']);
  });
});
