import type { RespondArguments } from '@slack/bolt';
import type { Logger } from '../ops/logger.js';
import type { SlackFeature } from '../slack/slack-app.js';
import type { CommandDispatcher, CommandReply } from './dispatcher.js';
import { slackErrorCode } from '../slack/slack-error.js';
import { isSlackAdmin } from './slack-admins.js';
import { cleanInput } from '../text/clean-input.js';


/**
 * The slash commands in Slack. Each is acknowledged before any work (Slack gives 3 seconds; the database or
 * chart may take longer), then answered privately through the command's response_url, with chat.postEphemeral
 * as the fallback. Files (the /metrics chart) are uploaded to the asker's DM with the bot (files.uploadV2), never
 * to the channel, where everyone would see them.
 */
export function slackCommands(commands: CommandDispatcher): SlackFeature {
  return ({ app, logger }) => {
    for (const name of commands.names()) {
      app.command(`/${name}`, async ({ command, ack, respond, client }) => {
        await ack();
        const log = logger.child({ command: name, teamId: command.team_id, channel: command.channel_id });
        const reply = await commands.run(name, cleanInput(command.text), {
          surface: 'slack', workspaceId: command.team_id, userId: command.user_id, channelId: command.channel_id,
          isAdmin: () => isSlackAdmin(client, command.user_id, [], log),
        });
        const send = async (message: CommandReply) => {
          try {
            await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) } as RespondArguments);
          } catch (error) {
            log.warn({ err: slackErrorCode(error) }, 'response_url failed; posting ephemerally instead');
            await client.chat.postEphemeral({
              channel: command.channel_id, user: command.user_id, text: message.text, ...(message.blocks ? { blocks: message.blocks as never } : {}),
            }).catch((e: unknown) => log.error({ err: slackErrorCode(e) }, 'command reply not delivered'));
          }
        };
        // Files (the /metrics chart) go where only the asker sees them: the DM with the bot. The reply says so.
        const files = reply.files ?? [];
        const inDm = command.channel_id.startsWith('D');
        const where = inDm ? 'The chart is below.' : 'The chart is in your DM with me, where only you can see it.';
        await send(files.length === 0 ? reply : {
          ...reply, text: `${reply.text}\n_${where}_`, ...(reply.blocks ? { blocks: [...reply.blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: where }] }] } : {}),
        });
        if (files.length === 0) return;
        try {
          const channel = inDm ? command.channel_id : (await client.conversations.open({ users: command.user_id })).channel?.id;
          if (!channel) throw new Error('conversations.open returned no channel');
          for (const file of files) await client.filesUploadV2({ channel_id: channel, file: file.bytes, filename: file.filename, title: file.title });
        } catch (error) {
          const code = slackErrorCode(error);
          log.warn({ err: code }, 'chart not delivered');
          await send({ text: `I could not send you the chart (${code}). Open a DM with me and run /${name} there.` });
        }
      });
    }
  };
}
