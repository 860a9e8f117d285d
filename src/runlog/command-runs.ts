import type { Logger } from '../ops/logger.js';
import { withRun } from '../ops/run-context.js';
import type { ErrorCode } from '../errors.js';
import type { RunLog } from './run-log.js';

export interface CommandRunInput {
  /** The command or action: "/metrics", "feedback button", "goal cancel". */
  name: string;
  /** Its arguments as the user typed them (recorded as the run's request text). */
  text?: string;
  workspaceId: string;
  userId: string;
  channelId?: string;
  surface: 'slack' | 'console';
  /** Reads only (a report, a list): marked cheap so analysts can leave them out of work they measure. */
  cheap: boolean;
}

export type CommandRunStatus = { status: 'succeeded' } | { status: 'refused' | 'failed'; errorClass: ErrorCode; errorMessage?: string };

/**
 * Slash commands and button actions that do work are runs too (kind 'command', route 'command'), so the run log
 * is the whole record of what the assistant did and the analysts see feedback and saves as events. The work runs
 * even when the run log cannot be written (a command that needs no database must still answer).
 */
export async function asCommandRun<T>(
  runLog: Pick<RunLog, 'start' | 'recordServing' | 'finish'>, logger: Logger, input: CommandRunInput,
  work: () => Promise<T>, statusOf: (result: T) => CommandRunStatus = () => ({ status: 'succeeded' }),
): Promise<T> {
  const started = Date.now();
  const runId = await runLog.start({
    workspaceId: input.workspaceId, surface: input.surface, userId: input.userId, kind: 'command',
    requestText: `${input.name}${input.text ? ` ${input.text}` : ''}`.slice(0, 4000), ...(input.channelId ? { channelId: input.channelId } : {}),
  }).then(async ({ run }) => {
    await runLog.recordServing(run.id, { route: 'command', routeReason: input.name, detail: { kind: 'command', command: input.name, cheap: input.cheap } });
    return run.id;
  }).catch((error: unknown) => {
    logger.warn({ err: error, command: input.name }, 'command run not recorded');
    return null;
  });
  const finish = (status: CommandRunStatus) => (runId ? runLog.finish(runId, { ...status, route: 'command', latencyMs: Date.now() - started })
    .catch((error: unknown) => logger.warn({ err: error, command: input.name }, 'command run not finished')) : undefined);
  try {
    const result = runId ? await withRun(runId, work) : await work();
    await finish(statusOf(result));
    return result;
  } catch (error) {
    await finish({ status: 'failed', errorClass: 'INTERNAL', errorMessage: (error as Error)?.message ?? String(error) });
    throw error;
  }
}
