import type { Logger } from '../ops/logger.js';
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
export function createImproverCommands(deps: { store: Store; logger: Logger }): CommandDispatcher {
  return {
    names: () => Object.keys(HANDLERS),
    async run(name, text, context) {
      const handler = HANDLERS[name as CommandName];
      if (!handler) return reply(`Unknown command /${name}.`);
      try {
        return await handler(deps.store, text, context);
      } catch (error) {
        deps.logger.error({ err: error, command: name }, 'command failed');
        return reply(`Sorry, /${name} failed: I could not reach my database or something broke on my side. Please try again in a minute.`);
      }
    },
  };
}
