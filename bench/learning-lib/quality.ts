import type { Intent } from './workload.js';

/**
 * The hidden rules: how likely an answer is to be good, by intent × model × system prompt. Only the simulator
 * knows them; the app learns them, if at all, from what people do with its answers.
 *
 * - faq, howto, summarize: the cheap models are as good (nano slightly worse on faq/howto).
 * - calc: the arithmetic needs the large model; a blanket downgrade loses here.
 * - announce: the shipped writing prompt produces long drafts that bury the point; only a prompt that asks for a
 *   TL;DR first and a word limit fixes it (any of the 4.1 models then writes it well).
 * - logs: fine on any large-enough model, once the prompt fits in the context window at all.
 * - goal tasks and the synthesis: easy for every model; what decides a goal is its plan.
 */
export const MODELS = ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano'] as const;

const TABLE: Record<Exclude<Intent, 'goal'> | 'task' | 'synthesis', Record<string, number>> = {
  faq: { 'gpt-4.1': 0.95, 'gpt-4.1-mini': 0.95, 'gpt-4.1-nano': 0.75 },
  howto: { 'gpt-4.1': 0.95, 'gpt-4.1-mini': 0.95, 'gpt-4.1-nano': 0.75 },
  summarize: { 'gpt-4.1': 0.95, 'gpt-4.1-mini': 0.95, 'gpt-4.1-nano': 0.93 },
  calc: { 'gpt-4.1': 0.94, 'gpt-4.1-mini': 0.55, 'gpt-4.1-nano': 0.3 },
  announce: { 'gpt-4.1': 0.94, 'gpt-4.1-mini': 0.93, 'gpt-4.1-nano': 0.6 },
  logs: { 'gpt-4.1': 0.93, 'gpt-4.1-mini': 0.92, 'gpt-4.1-nano': 0.6 },
  task: { 'gpt-4.1': 0.98, 'gpt-4.1-mini': 0.97, 'gpt-4.1-nano': 0.8 },
  synthesis: { 'gpt-4.1': 0.99, 'gpt-4.1-mini': 0.99, 'gpt-4.1-nano': 0.9 },
};

/** How well a system prompt addresses the announcement complaint: 1 fixed, 0.5 half of it, 0 not at all. */
export function announceFix(systemPrompt: string): number {
  const tldr = /\bTL;?DR\b/i.test(systemPrompt);
  const limit = /\b(under|at most|no more than|fewer than)\s+\d+\s+words\b/i.test(systemPrompt);
  return tldr && limit ? 1 : tldr || limit ? 0.5 : 0;
}

/** Probability that an answer of this kind, from this model under this system prompt, is good. */
export function goodProbability(kind: Exclude<Intent, 'goal'> | 'task' | 'synthesis', model: string, systemPrompt: string): number {
  const row = TABLE[kind];
  const base = row[model] ?? row['gpt-4.1-nano']!;
  if (kind !== 'announce') return base;
  const fix = announceFix(systemPrompt);
  // The shipped prompt: about one draft in three is what people wanted.
  return fix === 1 ? base : fix === 0.5 ? base * 0.65 : base * 0.32;
}

/** Simulated model latency (ms) before any jitter; ratios as in practice (large ≈ 2.4× mini ≈ 4× nano). */
export const LATENCY_MS: Record<string, number> = { 'gpt-4.1': 1200, 'gpt-4.1-mini': 500, 'gpt-4.1-nano': 300 };

/** Context window of the simulated models, in tokens (chars / 4): small, so a long paste overflows unless trimmed. */
export const CONTEXT_TOKENS = 2600;

/** Chance the baseline planner decomposes a recurring goal properly (the rest are plausible but wrong plans). */
export const GOOD_PLAN_RATE = 0.5;
