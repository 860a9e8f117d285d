/**
 * Small seeded generators for the decision-time simulation and the tests: deterministic, dependency-free.
 * mulberry32 (Tommy Ettinger's 32-bit generator): fast, full 2^32 period, good enough for Monte Carlo of
 * this size; not for anything secret.
 */
export type Uniform = () => number;

export function mulberry32(seed: number): Uniform {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller, keeping the second value of each pair. */
export function normalSampler(uniform: Uniform): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) { const value = spare; spare = null; return value; }
    const u1 = 1 - uniform(); // in (0, 1], so the log is finite
    const u2 = uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    spare = radius * Math.sin(2 * Math.PI * u2);
    return radius * Math.cos(2 * Math.PI * u2);
  };
}
