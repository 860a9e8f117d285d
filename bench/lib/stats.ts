/** Percentiles by the nearest-rank method over a copy of the values (no interpolation: every figure was observed). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export interface Summary { n: number; p50: number; p90: number; p99: number; max: number }

export function summarize(values: readonly number[]): Summary {
  return { n: values.length, p50: percentile(values, 50), p90: percentile(values, 90), p99: percentile(values, 99), max: percentile(values, 100) };
}

/** Rounds for printing and the JSON line: whole milliseconds above 10, one decimal below. */
export const ms = (value: number): number => (Math.abs(value) >= 10 ? Math.round(value) : Math.round(value * 10) / 10);
export const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;
export const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
