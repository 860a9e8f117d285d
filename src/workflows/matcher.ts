import { replayGuard, type Guard, type GuardRule } from './intent-guards.js';
import { findNameMention, type NameMention } from './name-mention.js';
import { contentWords, parseText, type ParsedText, type Word } from './request-text.js';
import { ASKING_VERBS, MANAGING_VERBS, NOT_TYPOS, QUESTION_OPENERS, STATE_VERBS } from './lexicon.js';
import { explicitWorkflowName } from './similarity.js';
import { correctTypo, editDistance } from './typo.js';
import { WorkflowIndex, type IndexedWorkflow, type MatchableWorkflow } from './workflow-index.js';

/**
 * Which saved or induced workflow a request asks to replay, if any, without a model call.
 *
 * Evidence, strongest first:
 *  1. "run workflow <name>" (explicitWorkflowName): that workflow, whatever else is said.
 *  2. The request names it: "run the launch plan again", "Launch-Plan for the EU", "the lanch plan".
 *  3. It resembles the workflow's description or one of its example requests: shared words weighted by how
 *     rare they are among the workspace's workflows (IDF), after stemming, synonyms and typo correction.
 * Then guards (intent-guards.ts) veto requests that manage, question, negate or comment on it, and a request
 * that fits two workflows about equally, or names two, replays neither. A miss costs a planning call; a false
 * match replays the wrong task graph, so every rule leans towards no match.
 *
 * How the store should call it (WorkflowStore.match, to be wired by the lead):
 *
 *   const workflows = await this.list(workspaceId, 'active');
 *   const decision = matchWorkflow(text, workflows, { prefer: savedThenMostUsed });
 *   log.debug({ workflow: decision.workflow?.name ?? null, rule: decision.rule, reason: decision.reason });
 *   return decision.workflow ? { workflow: decision.workflow, score: decision.score, reason: decision.reason } : null;
 *
 * where savedThenMostUsed = (a, b) => (a.kind !== b.kind ? (a.kind === 'saved' ? -1 : 1) : b.uses - a.uses)
 * keeps today's tie-break. This supersedes the separate explicitWorkflowName + get() path in match(): the
 * explicit command is rule 1 here (a name that is not among the active workflows matches nothing, or its
 * nearest spelling). `decision.reason` is written for users ("matched workflow launch-plan: named in the
 * request") and can go into the run's route reason. DEFAULT_MATCH_THRESHOLD (0.6, a Jaccard cut-off) does
 * not apply to this score: drop it, or pass `threshold` only to override SIMILARITY_THRESHOLD. For many
 * requests in a busy workspace, build `new WorkflowIndex(workflows)` once per workflow list and call
 * `matchIndexed`.
 */

/** Weighted similarity needed to replay on resemblance alone (tuned on the dev half of the labelled set). */
export const SIMILARITY_THRESHOLD = 0.5;
/**
 * Resemblance that shares none of the workflow's name words needs more: the name is the most deliberate
 * description a workflow has (the user chose it), so words shared only with an example request are weaker.
 */
export const NAMELESS_SIMILARITY_THRESHOLD = 0.6;
/** A runner-up this close to the best resemblance makes the request ambiguous. */
export const AMBIGUITY_MARGIN = 0.1;
/** How much a request word that no workflow uses counts against the resemblance, relative to a rare word. */
const UNKNOWN_WORD_WEIGHT = 0.5;

export type MatchRule = 'explicit-command' | 'named' | 'similar';

export interface MatchOptions<W> {
  /** Resemblance needed (default SIMILARITY_THRESHOLD); names and commands always match. */
  threshold?: number;
  namelessThreshold?: number;
  margin?: number;
  /** Breaks an exact tie between two workflows (negative: a first). Without it, a tie is ambiguous. */
  prefer?: (a: W, b: W) => number;
}

export interface MatchDecision<W> {
  /** The workflow to replay, or null. */
  workflow: W | null;
  /** 1 for a command or a name mention, else the similarity; for no match, the best candidate's. */
  score: number;
  /** 'embedding' only from matchWorkflowWithEmbeddings. */
  rule: MatchRule | 'embedding' | 'none' | 'ambiguous' | GuardRule;
  /** For users and logs: "matched workflow launch-plan: named in the request (\"launch plan\"), asked to repeat it". */
  reason: string;
}

export interface WorkflowScore {
  score: number;
  rule: MatchRule | 'none' | GuardRule;
  reason: string;
}

interface Request {
  parsed: ParsedText;
  /** Content words, one per term. */
  content: Word[];
  corrections: Array<{ from: string; to: string }>;
  explicitName: string | null;
  repeat: boolean;
}

interface Candidate<W extends MatchableWorkflow> {
  entry: IndexedWorkflow<W>;
  rule: MatchRule | 'none';
  score: number;
  mention?: NameMention;
  /** Shared terms, for the reason. */
  shared: Word[];
  textLabel?: string;
  guard: Guard | null;
  /** Some shared word is one of the workflow's name words. */
  sharesName?: boolean;
}

/** Real words the matcher already knows, which typo correction must leave alone. */
const NEVER_CORRECTED = new Set([...NOT_TYPOS, ...MANAGING_VERBS, ...ASKING_VERBS, ...QUESTION_OPENERS, ...STATE_VERBS]);

function readRequest<W extends MatchableWorkflow>(text: string, index: WorkflowIndex<W>): Request {
  const parsed = parseText(text);
  const corrections: Request['corrections'] = [];
  for (const w of parsed.words) {
    if (w.stop || w.numeric || w.generic || w.repeat || w.raw.includes(' ') || index.knows(w.term) || NEVER_CORRECTED.has(w.raw)) continue;
    const fix = correctTypo(w.raw, index.spellings);
    if (fix) {
      corrections.push({ from: w.raw, to: fix.raw });
      w.term = fix.term;
    }
  }
  const seen = new Set<string>();
  const content = contentWords(parsed.words).filter((w) => !seen.has(w.term) && seen.add(w.term));
  return { parsed, content, corrections, explicitName: explicitWorkflowName(text), repeat: parsed.words.some((w) => w.repeat) };
}

/** Best weighted F1 between the request's terms and one of the workflow's texts. */
function resemblance<W extends MatchableWorkflow>(request: Word[], entry: IndexedWorkflow<W>, index: WorkflowIndex<W>) {
  const weigh = (t: string) => (index.knows(t) ? index.weight(t) : index.weight(t) * UNKNOWN_WORD_WEIGHT);
  const requestWeight = request.reduce((sum, w) => sum + weigh(w.term), 0);
  let best = { score: 0, shared: [] as Word[], label: '' };
  if (requestWeight === 0) return best;
  for (const text of entry.texts) {
    const shared = request.filter((w) => text.terms.has(w.term));
    const common = shared.reduce((sum, w) => sum + weigh(w.term), 0);
    if (common === 0) continue;
    let textWeight = 0;
    for (const t of text.terms) textWeight += weigh(t);
    const precision = common / requestWeight;
    const recall = common / textWeight;
    const f1 = (2 * precision * recall) / (precision + recall);
    if (f1 > best.score) best = { score: f1, shared, label: text.label };
  }
  return best;
}

function evaluate<W extends MatchableWorkflow>(request: Request, entry: IndexedWorkflow<W>, index: WorkflowIndex<W>): Candidate<W> {
  const name = entry.workflow.name;
  if (request.explicitName === name) return { entry, rule: 'explicit-command', score: 1, shared: [], guard: null };
  const mention = findNameMention(request.parsed.words, name, entry.nameTerms) ?? undefined;
  const similar = resemblance(request.content, entry, index);
  const focus = mention
    ? { positions: range(mention.start, mention.end), mention: { start: mention.start, end: mention.end, inverted: mention.inverted } }
    : { positions: similar.shared.map((w) => w.position) };
  const guard = mention || similar.score > 0 ? replayGuard(request.parsed, focus) : null;
  if (mention) return { entry, rule: 'named', score: 1, mention, shared: similar.shared, guard };
  return {
    entry, rule: similar.score > 0 ? 'similar' : 'none', score: similar.score, shared: similar.shared, textLabel: similar.label, guard,
    sharesName: similar.shared.some((w) => entry.nameTerms.includes(w.term)),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Two decimals, rounded down, so a score shown as 0.50 never failed a 0.50 threshold. */
const shown = (score: number) => (Math.floor(score * 100) / 100).toFixed(2);

/** Why a candidate fits, in words a user can check: "named in the request ("launch plan"), asked to repeat it". */
function evidence<W extends MatchableWorkflow>(c: Candidate<W>, request: Request): string {
  const typos = request.corrections.length ? `; read ${request.corrections.map((f) => `"${f.from}" as "${f.to}"`).join(', ')}` : '';
  const again = request.repeat ? ', asked to repeat it' : '';
  if (c.rule === 'explicit-command') {
    const typed = request.explicitName!;
    return `asked for by name ("run workflow ${typed}"${typed === c.entry.workflow.name ? '' : `, read as ${c.entry.workflow.name}`})`;
  }
  if (c.rule === 'named') return `named in the request ("${c.mention!.text}")${again}${typos}`;
  return `similar to ${c.textLabel} (${shown(c.score)}; shared words: ${c.shared.map((w) => w.raw).join(', ')})${typos}`;
}

/** How well a request fits one workflow, alone or among `corpus` (the workspace's workflows, for word rarity). */
export function scoreWorkflow(text: string, workflow: MatchableWorkflow, corpus: readonly MatchableWorkflow[] = [workflow]): WorkflowScore {
  const index = new WorkflowIndex(corpus.includes(workflow) ? corpus : [...corpus, workflow]);
  const request = readRequest(text, index);
  const c = evaluate(request, index.entries.find((e) => e.workflow === workflow)!, index);
  if (c.rule === 'none') return { score: 0, rule: 'none', reason: `no word of the request fits workflow ${workflow.name}` };
  if (c.guard && c.rule !== 'explicit-command') return { score: 0, rule: c.guard.rule, reason: `not replaying workflow ${workflow.name}: ${c.guard.reason}` };
  return { score: c.score, rule: c.rule, reason: `workflow ${workflow.name}: ${evidence(c, request)}` };
}

/** The workflow a request asks to replay, or null with the reason. */
export function matchWorkflow<W extends MatchableWorkflow>(text: string, workflows: readonly W[], options: MatchOptions<W> = {}): MatchDecision<W> {
  return matchIndexed(text, new WorkflowIndex(workflows), options);
}

/** matchWorkflow over an index built once for a list of workflows. */
export function matchIndexed<W extends MatchableWorkflow>(text: string, index: WorkflowIndex<W>, options: MatchOptions<W> = {}): MatchDecision<W> {
  const threshold = options.threshold ?? SIMILARITY_THRESHOLD;
  const margin = options.margin ?? AMBIGUITY_MARGIN;
  const needed = (sharesName: boolean | undefined) => (sharesName ? threshold : Math.max(threshold, options.namelessThreshold ?? NAMELESS_SIMILARITY_THRESHOLD));
  const request = readRequest(text, index);
  const none = (reason: string, score = 0, rule: MatchDecision<W>['rule'] = 'none'): MatchDecision<W> => ({ workflow: null, score, rule, reason });
  const matched = (c: Candidate<W>, rule: MatchRule = c.rule as MatchRule): MatchDecision<W> =>
    ({ workflow: c.entry.workflow, score: c.score, rule, reason: `matched workflow ${c.entry.workflow.name}: ${evidence({ ...c, rule }, request)}` });
  const blocked = (c: Candidate<W>, guard: Guard): MatchDecision<W> => none(`not replaying workflow ${c.entry.workflow.name}: ${guard.reason}`, c.score, guard.rule);
  if (index.entries.length === 0) return none('there are no workflows');

  const candidates = index.entries.map((entry) => evaluate(request, entry, index));
  const explicit = candidates.find((c) => c.rule === 'explicit-command');
  if (explicit) return matched(explicit);
  if (request.explicitName) {
    // "run workflow <name>" for a name that is not there: a near spelling of one existing name, never a lookalike.
    const near = candidates.filter((c) => editDistance(c.entry.workflow.name, request.explicitName!, 2) <= 2);
    return near.length === 1 ? matched({ ...near[0]!, score: 1 }, 'explicit-command') : none(`there is no active workflow named ${request.explicitName}`);
  }

  const named = dropOverlapping(candidates.filter((c) => c.rule === 'named'));
  if (named.length > 1) {
    return none(`the request names ${named.length} workflows (${named.map((c) => c.entry.workflow.name).join(', ')}); ask for one at a time`, 0, 'ambiguous');
  }
  if (named.length === 1) {
    const c = named[0]!;
    if (c.guard) return blocked(c, c.guard);
    // "the weekly report and the monthly investor update": the words outside the name ask for another workflow.
    const rest = request.content.filter((w) => w.position < c.mention!.start || w.position > c.mention!.end);
    for (const e of index.entries) {
      if (e === c.entry) continue;
      const other = resemblance(rest, e, index);
      if (other.score >= needed(other.shared.some((w) => e.nameTerms.includes(w.term)))) {
        return none(`the request names workflow ${c.entry.workflow.name} but also resembles ${e.workflow.name}; ask for one at a time`, 0, 'ambiguous');
      }
    }
    return matched(c);
  }

  const ranked = candidates.filter((c) => c.rule === 'similar').sort((a, b) => b.score - a.score);
  const best = ranked[0];
  if (!best) return none('no word of the request fits a workflow');
  if (best.score < needed(best.sharesName)) {
    const why = best.sharesName ? '' : ' without a word of its name';
    return none(`no workflow is similar enough (closest: ${best.entry.workflow.name}, ${shown(best.score)} < ${needed(best.sharesName)}${why})`, best.score);
  }
  if (best.guard) return blocked(best, best.guard);
  const runnerUp = ranked[1];
  if (runnerUp && runnerUp.score >= needed(runnerUp.sharesName) && best.score - runnerUp.score < margin) {
    // An exact tie is usually one workflow saved twice (a saved copy of an induced one): the caller's preference decides.
    if (!(runnerUp.score === best.score && options.prefer)) {
      return none(`the request fits ${best.entry.workflow.name} (${shown(best.score)}) and ${runnerUp.entry.workflow.name} (${shown(runnerUp.score)}) about equally`, best.score, 'ambiguous');
    }
    return matched(options.prefer(best.entry.workflow, runnerUp.entry.workflow) <= 0 ? best : runnerUp);
  }
  return matched(best);
}

/** Of mentions that overlap ("customer feedback themes" and a workflow named "customer-feedback"), the longest. */
function dropOverlapping<W extends MatchableWorkflow>(named: Candidate<W>[]): Candidate<W>[] {
  const byLength = [...named].sort((a, b) => (b.mention!.end - b.mention!.start) - (a.mention!.end - a.mention!.start));
  const kept: Candidate<W>[] = [];
  for (const c of byLength) {
    if (!kept.some((k) => c.mention!.start <= k.mention!.end && k.mention!.start <= c.mention!.end)) kept.push(c);
  }
  return kept;
}
