import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The run a piece of work belongs to, carried through every await of that work. The logger reads it, so every
 * line written while a run is being handled carries its runId — in the surface, the agents, the tools and the
 * run log alike — without passing a logger through every call.
 */
export const runContext = new AsyncLocalStorage<{ runId: string }>();

export function withRun<T>(runId: string, work: () => Promise<T>): Promise<T> {
  return runContext.run({ runId }, work);
}
