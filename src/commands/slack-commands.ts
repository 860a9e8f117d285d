import type { RespondArguments } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../ops/logger.js';
import type { SlackFeature } from '../slack/slack-app.js';
import type { CommandDispatcher, CommandReply } from './dispatcher.js';
import { slackErrorCode } from '../slack/slack-error.js';


/**
 * The slash commands in Slack. Each is acknowledged before any work (Slack gives 3 seconds; the database or
 * chart may take longer), then answered privately through the command's response_url, with chat.postEphemeral
 * as the fallback. Files (the /metrics chart) are uploaded to the conversation with files.uploadV2.
 */
/** Owners and admins of the workspace, from users.info (cached for five minutes: roles rarely change). */
const roles = new LRUCache<string, boolean>({ max: 5000, ttl: 300_000 });
async function isWorkspaceAdmin(client: WebClient, userId: string, log: Logger): Promise<boolean> {
  const cached = roles.get(userId);
  if (cached !== undefined) return cached;
  try {
    const { user } = await client.users.info({ user: userId });
    const admin = Boolean(user?.is_admin || user?.is_owner || user?.is_primary_owner);
    roles.set(userId, admin);
    return admin;
  } catch (error) {
    log.warn({ err: slackErrorCode(error) }, 'users.info failed; treating the caller as not an admin');
    return false;
  }
}

export function slackCommands(commands: CommandDispatcher): SlackFeature {
  return ({ app, logger }) => {
    for (const name of commands.names()) {
      app.command(`/${name}`, async ({ command, ack, respond, client }) => {
        await ack();
        const log = logger.child({ command: name, teamId: command.team_id, channel: command.channel_id });
        const reply = await commands.run(name, command.text ?? '', {
          surface: 'slack', workspaceId: command.team_id, userId: command.user_id, channelId: command.channel_id,
          isAdmin: () => isWorkspaceAdmin(client, command.user_id, log),
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
        await send(reply);
        for (const file of reply.files ?? []) {
          try {
            await client.filesUploadV2({ channel_id: command.channel_id, file: file.bytes, filename: file.filename, title: file.title });
          } catch (error) {
            const code = slackErrorCode(error);
            log.warn({ err: code, file: file.filename }, 'file upload failed');
            await send({ text: `I could not post the chart here (${code}). Invite me to this channel, or run /${name} in a DM with me.` });
          }
        }
      });
    }
  };
}
