import type { Logger } from '../ops/logger.js';
import { asCommandRun } from '../runlog/command-runs.js';
import type { RunLog } from '../runlog/run-log.js';
import type { Store } from '../store/store.js';
import { betterCommand } from './better-command.js';
import type { CommandContext, CommandDispatcher, CommandReply } from './dispatcher.js';
import { metricsCommand } from './metrics-command.js';
import { reply, type CommandName } from './usage.js';
import { saveWorkflowCommand, workflowsCommand } from './workflow-commands.js';

type Handler = (store: Store, text: string, context: CommandContext) => Promise<CommandReply>;

const HANDLERS: Record<CommandName, Handler> = {
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

export function createImproverCommands(deps: { store: Store; logger: Logger; runLog?: Pick<RunLog, 'start' | 'recordServing' | 'finish'> }): CommandDispatcher {
  const run = async (name: string, text: string, context: CommandContext): Promise<CommandReply> => {
    const handler = HANDLERS[name as CommandName];
    if (!handler) return reply(`Unknown command /${name}.`);
    try {
      return await handler(deps.store, text, context);
    } catch (error) {
      deps.logger.error({ err: error, command: name }, 'command failed');
      return { ...reply(`Sorry, /${name} failed: I could not reach my database or something broke on my side. Please try again in a minute.`), failed: true } as CommandReply;
    }
  };
  return {
    names: () => Object.keys(HANDLERS),
    run(name, text, context) {
      if (!deps.runLog || !(name in HANDLERS)) return run(name, text, context);
      const cheap = READ_ONLY.has(name) && !/^\s*delete\b/i.test(text);
      return asCommandRun(deps.runLog, deps.logger, {
        name: `/${name}`, text, workspaceId: context.workspaceId, userId: context.userId, channelId: context.channelId, surface: context.surface, cheap,
      }, () => run(name, text, context), (result) => ((result as { failed?: boolean }).failed
        ? { status: 'failed', errorClass: 'INTERNAL' }
        : result.invalid ? { status: 'refused', errorClass: 'INPUT_INVALID' } : { status: 'succeeded' }));
    },
  };
}
