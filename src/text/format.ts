/** Number formats shared by the metrics report, /workflows and the App Home, so every surface agrees. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const usd = (x: number): string => `$${x.toFixed(4)}`;
export const ms = (x: number): string => (x < 1000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(2)} s`);
export const rating = (x: number): string => `${x.toFixed(2)}/5`;
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** A value from a free-form JSON object (measured impact), readable. */
export function readable(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, '');
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Measured effect of an applied improvement: its summary, else "metric before → after" for each metric. */
export function effect(measured: Record<string, unknown> | null): string {
  if (!measured || Object.keys(measured).length === 0) return 'effect not measured yet';
  if (typeof measured.summary === 'string') return measured.summary;
  return Object.entries(measured).map(([key, value]) => {
    const label = key.replace(/_/g, ' ');
    if (value && typeof value === 'object' && 'before' in value && 'after' in value) {
      const { before, after } = value as { before: unknown; after: unknown };
      return `${label} ${readable(before)} → ${readable(after)}`;
    }
    return `${label} ${readable(value)}`;
  }).join(', ');
}

/** A request quoted in one line, for "applied to your answer to “…”". */
export function quote(text: string, max = 80): string {
  // Counted and cut in code points, not UTF-16 units: a cut through an emoji would leave half of it (U+FFFD in Slack).
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return `“${chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('')}”`;
}
