/** snake_case row keys from SQL → camelCase fields (shallow; nested JSON values are left as stored). */
export function camelize<T>(row: unknown): T {
  if (row === null || typeof row !== 'object') return row as T;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row as Record<string, unknown>)) {
    out[key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = value;
  }
  return out as T;
}

/** numeric columns arrive as JSON numbers; keep null as null (unknown), never turn it into 0. */
export function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}
