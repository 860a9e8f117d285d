import { createRequire } from 'node:module';
import type { MathJsInstance, MathNode } from 'mathjs';
import { z } from 'zod';
import { ToolError } from '../types.js';
import { defineTool } from './define.js';

// Built on first use: loading mathjs with every function costs ~0.4 s of start, and many conversations never compute.
let instance: MathJsInstance | undefined;
function mathjs(): MathJsInstance {
  if (!instance) {
    const { create, all } = createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
    instance = create(all!);
  }
  return instance;
}
const MAX_EXPRESSION_CHARS = 500;
const MAX_ARRAY_ITEMS = 1000;

// Expressions are parsed by mathjs (never eval) and the tree is checked before evaluation: no definitions,
// no property access, and none of the functions that reach the parser itself, build large matrices or loop
// for a long time on big arguments (evaluation is synchronous, so a timeout could not stop it).
const FORBIDDEN_NODES = new Set(['AssignmentNode', 'FunctionAssignmentNode', 'AccessorNode', 'IndexNode', 'ObjectNode', 'RangeNode']);
const FORBIDDEN_FUNCTIONS = new Set([
  'import', 'createUnit', 'evaluate', 'parse', 'compile', 'simplify', 'simplifyCore', 'derivative', 'resolve', 'reviver',
  'rationalize', 'chain', 'help', 'config', 'typed', 'range', 'zeros', 'ones', 'identity', 'matrix', 'sparse', 'diag',
  'resize', 'reshape', 'random', 'randomInt', 'pickRandom', 'map', 'forEach', 'filter', 'apply', 'combinations',
  'combinationsWithRep', 'permutations', 'stirlingS2', 'bellNumbers', 'catalan', 'composition', 'multinomial', 'isPrime',
  'kron', 'expm', 'sqrtm', 'solveODE',
]);

/** Evaluates a math expression safely; throws ToolError with a reason the model can fix. */
export function calculate(expression: string): string {
  const source = expression.trim();
  if (source === '') throw new ToolError('TOOL_INPUT_INVALID', 'the expression is empty');
  if (source.length > MAX_EXPRESSION_CHARS) throw new ToolError('TOOL_INPUT_INVALID', `the expression is longer than ${MAX_EXPRESSION_CHARS} characters`);
  let tree: MathNode;
  try {
    tree = mathjs().parse(source);
  } catch (error) {
    throw new ToolError('TOOL_INPUT_INVALID', `could not parse the expression: ${(error as Error).message}`);
  }
  tree.traverse((node) => {
    if (FORBIDDEN_NODES.has(node.type)) throw new ToolError('TOOL_INPUT_INVALID', `${node.type.replace(/Node$/, '').toLowerCase()} expressions are not allowed; write a plain formula`);
    const fn = (node as { fn?: { name?: string } }).fn?.name;
    if (node.type === 'FunctionNode' && fn && FORBIDDEN_FUNCTIONS.has(fn)) throw new ToolError('TOOL_INPUT_INVALID', `the function ${fn} is not available`);
    const items = (node as { items?: unknown[] }).items;
    if (node.type === 'ArrayNode' && items && items.length > MAX_ARRAY_ITEMS) throw new ToolError('TOOL_INPUT_INVALID', `arrays are limited to ${MAX_ARRAY_ITEMS} items`);
  });
  let value: unknown;
  try {
    value = tree.evaluate({});
  } catch (error) {
    throw new ToolError('TOOL_INPUT_INVALID', `could not evaluate: ${(error as Error).message}`);
  }
  // Some evaluations (a block of several expressions) return a ResultSet; show its last value.
  const shown = (value as { entries?: unknown[] })?.entries ? (value as { entries: unknown[] }).entries.at(-1) : value;
  return mathjs().format(shown, { precision: 14 });
}

export const calculatorTool = defineTool({
  name: 'calculator',
  description: 'Evaluates a math expression exactly and returns the result. Use it for any arithmetic instead of computing in your head. ' +
    'Supports + - * / ^, %, parentheses, functions (sqrt, log, exp, sin, round, mean, median, sum, min, max, std…), constants (pi, e) ' +
    'and unit conversions ("5 cm to inch", "3 kg to lb"). One expression per call, e.g. "2340 * 17.5% / 12".',
  schema: z.object({ expression: z.string().describe('the expression, e.g. "(1200 - 950) / 950 * 100"') }),
  readOnly: true,
  run: async ({ expression }) => `${expression.trim()} = ${calculate(expression)}`,
});
