import { contentWords, nameTerms, parseText } from './request-text.js';

/** What the matcher needs of a workflow (the store's Workflow has these fields). */
export interface MatchableWorkflow {
  name: string;
  description?: string | null;
  /** Example requests, as the user typed them. */
  triggers: readonly string[];
}

/** One text a request can resemble: the name with the description, or the name with one trigger. */
export interface IndexedText {
  label: string;
  terms: Set<string>;
}

export interface IndexedWorkflow<W extends MatchableWorkflow> {
  workflow: W;
  nameTerms: string[];
  texts: IndexedText[];
  /** Every content term of the workflow. */
  vocabulary: Set<string>;
}

/**
 * The workflows of a workspace, read once: their terms, and how rare each term is among them (a word shared by
 * every workflow, like "summary" in a workspace of digests, says little about which one is meant).
 */
export class WorkflowIndex<W extends MatchableWorkflow> {
  readonly entries: IndexedWorkflow<W>[];
  /** Words written in the workflows, mapped to their terms: what typos are corrected towards. */
  readonly spellings = new Map<string, string>();
  private readonly documentFrequency = new Map<string, number>();

  constructor(workflows: readonly W[]) {
    this.entries = workflows.map((workflow) => {
      const names = nameTerms(workflow.name);
      const texts: IndexedText[] = [];
      const read = (text: string) => {
        const words = contentWords(parseText(text).words);
        for (const w of words) if (!w.raw.includes(' ')) this.spellings.set(w.raw, w.term);
        return words.map((w) => w.term);
      };
      for (const raw of workflow.name.split('-')) if (raw && !/\d/.test(raw)) this.spellings.set(raw, nameTerms(raw)[0] ?? raw);
      texts.push({ label: 'its name and description', terms: new Set([...names, ...read(workflow.description ?? '')]) });
      for (const trigger of workflow.triggers) texts.push({ label: `its example "${trigger.slice(0, 80)}"`, terms: new Set([...names, ...read(trigger)]) });
      const vocabulary = new Set(texts.flatMap((t) => [...t.terms]));
      return { workflow, nameTerms: names, texts, vocabulary };
    });
    for (const entry of this.entries) for (const term of entry.vocabulary) this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
  }

  /** True when some workflow uses the term. */
  knows(term: string): boolean {
    return this.documentFrequency.has(term);
  }

  /**
   * Inverse document frequency over the workflows, ln(1 + N / df). A term no workflow uses weighs like a
   * rare one, so unrelated detail in a request dilutes its similarity.
   */
  weight(term: string): number {
    const n = this.entries.length;
    return Math.log(1 + n / (this.documentFrequency.get(term) ?? 1));
  }
}
