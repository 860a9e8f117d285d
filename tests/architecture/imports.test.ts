import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

// The import graph of src/, read from the source (type-only imports included: they couple modules too).
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;
const graph = new Map<string, string[]>(sourceFiles(SRC).map((file) => {
  const text = readFileSync(file, 'utf8');
  return [file, [...text.matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'))];
}));

/** A module's unit: its top folder under src/, with errors.ts on its own and the entry points as "app". */
function unitOf(file: string): string {
  const rel = relative(SRC, file);
  if (!rel.includes('/')) return rel === 'errors.ts' ? 'errors' : 'app';
  return rel.split('/')[0]!;
}

/** Strongly connected components with more than one member (Tarjan). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!indices.has(v)) visit(v);
  return found;
}

describe('the import graph of src/', () => {
  test('is read (sanity: the graph has the app and its folders)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(new Set([...graph.keys()].map(unitOf))).toEqual(expect.objectContaining({ size: expect.any(Number) }));
  });

  test('no file imports itself through a cycle', () => {
    const edges = new Map([...graph].map(([file, deps]) => [file, new Set(deps.filter((d) => graph.has(d)))]));
    expect(cycles(edges).map((c) => c.map((f) => relative(SRC, f)))).toEqual([]);
  });

  test('no two folders import each other, directly or through others (dependencies point one way)', () => {
    const edges = new Map<string, Set<string>>();
    for (const [file, deps] of graph) {
      for (const dep of deps) {
        const [from, to] = [unitOf(file), unitOf(dep)];
        if (from === to || !graph.has(dep)) continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
    const explain = (component: string[]) => component.map((unit) => `${unit} → ${[...(edges.get(unit) ?? [])].filter((u) => component.includes(u)).join(', ')}`);
    expect(cycles(edges).map(explain)).toEqual([]);
  });

  test('only the store opener and the composition root reach a database adapter', () => {
    const adapters = /\/store\/(pglite|postgres|supabase)\//;
    const offenders = [...graph].filter(([file, deps]) => !adapters.test(file) && deps.some((d) => adapters.test(d)))
      .map(([file]) => relative(SRC, file)).filter((f) => f !== 'store/open-store.ts');
    expect(offenders).toEqual([]);
  });
});
