import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { explicitWorkflowName, triggerScore } from '../../src/workflows/similarity.js';

/** The hand-labelled requests in tests/fixtures/workflow-matching/pairs.json. */
export interface LabelledWorkflow {
  name: string;
  kind: 'saved' | 'induced';
  description: string;
  triggers: string[];
}

export interface LabelledRequest {
  id: string;
  split: 'dev' | 'heldout';
  request: string;
  /** The workflow it should replay; null when replaying any would be wrong. */
  expected: string | null;
  category: string;
}

export interface MatchingSet {
  workflows: LabelledWorkflow[];
  items: LabelledRequest[];
}

export function loadMatchingSet(): MatchingSet {
  const path = fileURLToPath(new URL('../fixtures/workflow-matching/pairs.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as MatchingSet;
}

/** The store's DEFAULT_MATCH_THRESHOLD for the Jaccard matcher (kept here so this file does not follow the store's moves). */
export const OLD_THRESHOLD = 0.6;

/**
 * The matcher WorkflowStore.match used before matcher.ts, over a plain list: "run workflow <name>" for an
 * active workflow, else the best triggerScore at or above the threshold, saved before induced on a tie (every
 * workflow here has zero uses, so that is the whole tie-break).
 */
export function oldMatch(request: string, workflows: readonly LabelledWorkflow[]): string | null {
  const named = explicitWorkflowName(request);
  if (named) return workflows.find((w) => w.name === named)?.name ?? null;
  let best: { w: LabelledWorkflow; score: number } | null = null;
  for (const w of workflows) {
    const score = triggerScore(request, w.triggers);
    if (score < OLD_THRESHOLD) continue;
    if (!best || score > best.score || (score === best.score && w.kind === 'saved' && best.w.kind !== 'saved')) best = { w, score };
  }
  return best?.w.name ?? null;
}

export interface Figures {
  items: number;
  positives: number;
  /** Right workflow. */
  truePositives: number;
  /** A workflow replayed where none should be, or the wrong one. */
  falseMatches: number;
  precision: number;
  recall: number;
}

/** Precision: of the replays, how many were the right workflow (1 when nothing was replayed). Recall: of the requests that should replay, how many did. */
export function figures(items: readonly LabelledRequest[], predict: (item: LabelledRequest) => string | null): Figures {
  let truePositives = 0;
  let falseMatches = 0;
  for (const item of items) {
    const got = predict(item);
    if (got === null) continue;
    if (got === item.expected) truePositives++;
    else falseMatches++;
  }
  const positives = items.filter((i) => i.expected !== null).length;
  const replays = truePositives + falseMatches;
  return { items: items.length, positives, truePositives, falseMatches, precision: replays === 0 ? 1 : truePositives / replays, recall: positives === 0 ? 1 : truePositives / positives };
}
