import { asAppError, type AppError, type ErrorCode } from '../errors.js';
import type { Logger } from '../ops/logger.js';
import { asCommandRun } from '../runlog/command-runs.js';
import type { RunLog } from '../runlog/run-log.js';
import type { Store } from '../store/store.js';
import { betterCommand } from './better-command.js';
import type { CommandContext, CommandDispatcher, CommandReply } from './dispatcher.js';
import { metricsCommand } from './metrics-command.js';
import { reply, type CommandName } from './usage.js';
import { saveWorkflowCommand, workflowsCommand } from './workflow-commands.js';
import { improverCommand, type ImproverDeps } from './improver-admin.js';
import { improvementsReport } from '../improvement/improvements-report.js';

type Handler = (store: Store, text: string, context: CommandContext) => Promise<CommandReply>;

const STORE_HANDLERS: Record<Exclude<CommandName, 'improver'>, Handler> = {
  better: betterCommand,
  'save-workflow': saveWorkflowCommand,
  workflows: workflowsCommand,
  metrics: metricsCommand,
};

/**
 * /better, /save-workflow, /workflows and /metrics for every surface: Slack's slash commands and the
 * console call the same handlers with the same text and show the same reply.
 */
/** Commands that only read (reports, lists): their runs are marked cheap. */
const READ_ONLY = new Set<string>(['metrics', 'workflows']);

export interface ImproverCommandDeps {
  store: Store;
  logger: Logger;
  runLog?: Pick<RunLog, 'start' | 'recordServing' | 'finish'>;
  /** /improver analyze: the analysts this configuration runs. */
  analysts?: ImproverDeps['analysts'];
  /** ADMIN_USERS: admins besides the workspace's owners and admins. */
  adminUsers?: string[];
  /** The improvement loop (approve, stop) for /improver experiments|approve|reject|stop. */
  loop?: { approve(id: string, approver: string, approved: boolean): Promise<string>; stop(id: string, actor: string): Promise<string>; readonly minSamples: number };
}

export function createImproverCommands(deps: ImproverCommandDeps): CommandDispatcher {
  const improver: ImproverDeps = {
    budgets: deps.store.budgets,
    ...(deps.analysts ? { analysts: deps.analysts } : {}),
    ...(deps.loop ? { experiments: {
      report: () => improvementsReport({ experiments: deps.store.experiments, minSamples: deps.loop!.minSamples }, { withIds: true }),
      approve: (id: string, approver: string, approved: boolean) => deps.loop!.approve(id, approver, approved),
      stop: (id: string, actor: string) => deps.loop!.stop(id, actor),
    } } : {}),
    // The console's user is the person at the keyboard of the machine: its operator.
    isAdmin: async (context) => context.surface === 'console' || (deps.adminUsers ?? []).includes(context.userId) || ((await context.isAdmin?.()) ?? false),
  };
  // `/metrics improvements`: every change tried, for anyone (read-only); the rest of /metrics is the run-log report.
  const metrics: Handler = async (store, text, context) => {
    if (!/^\s*improvements?\s*$/i.test(text)) return metricsCommand(store, text, context);
    const report = await improvementsReport({ experiments: store.experiments, minSamples: deps.loop?.minSamples ?? 0 });
    return reply(deps.loop ? report : `Learning is off here (LEARNING_ENABLED=false, or no model configured): nothing new is tried.\n${report}`);
  };
  const HANDLERS: Record<CommandName, Handler> = { ...STORE_HANDLERS, metrics, improver: (_store, text, context) => improverCommand(improver, text, context) };
  const run = async (name: string, text: string, context: CommandContext): Promise<CommandReply> => {
    const handler = HANDLERS[name as CommandName];
    if (!handler) return reply(`Unknown command /${name}.`);
    try {
      return await handler(deps.store, text, context);
    } catch (raw) {
      const error = asAppError(raw);
      deps.logger.error({ err: error, code: error.code, command: name }, 'command failed');
      return { ...reply(commandFailure(name, error)), failed: error.code } as CommandReply;
    }
  };
  return {
    names: () => Object.keys(HANDLERS),
    run(name, text, context) {
      if (!deps.runLog || !(name in HANDLERS)) return run(name, text, context);
      // /improver help reads nothing and writes nothing; analyze and budget are work, and are runs.
      const cheap = READ_ONLY.has(name) && !/^\s*delete\b/i.test(text);
      return asCommandRun(deps.runLog, deps.logger, {
        name: `/${name}`, text, workspaceId: context.workspaceId, userId: context.userId, channelId: context.channelId, surface: context.surface, cheap,
      }, () => run(name, text, context), (result) => {
        const failed = (result as { failed?: ErrorCode }).failed;
        if (failed) return { status: 'failed', errorClass: failed };
        return result.invalid ? { status: 'refused', errorClass: 'INPUT_INVALID' } : { status: 'succeeded' };
      });
    },
  };
}

/** What the user reads when a command could not be done: an outage, a refused query and a bug are told apart. */
export function commandFailure(name: string, error: AppError): string {
  switch (error.code) {
    case 'STORE_UNAVAILABLE':
      return `/${name} needs my database, which I can't reach right now, so nothing was done. Questions in chat still get answers; please run /${name} again in a few minutes.`;
    case 'STORE_QUERY_FAILED':
      return `Sorry, /${name} failed: something in that request broke on my side (my database refused it). It is logged; check the arguments, or tell an admin if it keeps happening.`;
    default:
      return `Sorry, /${name} failed: something broke on my side. It is logged; please try again in a minute.`;
  }
}
