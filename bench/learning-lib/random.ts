/**
 * Seeded randomness for the bench: the script (what is asked, by whom, in which order) comes from one seed so
 * both arms see exactly the same workload; each arm's hidden world draws from its own stream of the same seed.
 */
export type Random = () => number;

/** mulberry32: small, fast, good enough for a simulation; the same seed gives the same sequence everywhere. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
