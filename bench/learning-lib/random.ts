/**
 * Seeded randomness for the bench: the script (what is asked, by whom, in which order) comes from one seed so
 * both arms see exactly the same workload; each arm's hidden world draws from its own stream of the same seed.
 */
import { mulberry32, type Uniform } from '../../src/improvement/stats/random.js';

export type Random = Uniform;

/** The project's mulberry32 (src/improvement/stats/random.ts): the same seed gives the same sequence everywhere. */
export const seeded = (seed: number): Random => mulberry32(seed);

/** A seed derived from a base seed and a label, so independent streams do not overlap. */
export function derive(seed: number, label: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** An index drawn with the given weights (need not sum to 1). */
export function weighted(random: Random, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let x = random() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/** A lowercase hex token of n characters (answer ids). */
export function token(random: Random, n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(random() * 16).toString(16);
  return s;
}
