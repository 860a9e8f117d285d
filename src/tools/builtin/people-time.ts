import { z } from 'zod';
import { ToolError, type ToolDefinition } from '../types.js';
import { defineTool } from './define.js';
import type { SlackAccess, SlackUser } from './slack-access.js';

/** "Tuesday 2026-03-03 14:05 in Europe/London (GMT+00:00)" for an instant and an IANA zone. */
export function localTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('weekday')} ${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} in ${timeZone} (${part('timeZoneName')})`;
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function describeUser(user: SlackUser, now: Date): string {
  const handle = user.name ? ` (@${user.name})` : '';
  const details = [
    `id ${user.id}`,
    user.title ? `title: ${user.title}` : 'no title set',
    user.tz ? `time zone: ${user.tz}${user.tzLabel ? ` (${user.tzLabel})` : ''}, local time now: ${localTime(now, user.tz)}` : '',
    user.isBot ? 'a bot' : '',
  ].filter(Boolean);
  return `${user.realName || user.name}${handle} — ${details.join('; ')}`;
}

/** user_lookup and current_time. Both read-only. */
export function peopleAndTimeTools(access: SlackAccess, now: () => Date = () => new Date()): ToolDefinition[] {
  const userLookup = defineTool({
    name: 'user_lookup',
    description: 'Looks up people in this Slack workspace: who someone is, their title, time zone and local time. ' +
      'Give a mention (<@U0123>), a user ID, an @handle or a name.',
    schema: z.object({ user: z.string().min(1).max(120).describe('<@U0123>, U0123, @handle or a name') }),
    readOnly: true,
    async run({ user }, { context }) {
      const client = access.clientFor(context);
      const workspaceId = context!.workspaceId;
      const id = /^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$/.exec(user.trim())?.[1];
      if (id) {
        const found = await access.user(client, workspaceId, id).catch(() => {
          throw new ToolError('TOOL_FAILED', `no user with id ${id}`);
        });
        return describeUser(found, now());
      }
      const wanted = user.trim().replace(/^@/, '').toLowerCase();
      const people = (await access.directory(client, workspaceId)).filter((u) => u.id);
      const exact = people.filter((u) => [u.name, u.realName].some((n) => n.toLowerCase() === wanted));
      const partial = exact.length ? exact : people.filter((u) => [u.name, u.realName].some((n) => n.toLowerCase().includes(wanted)));
      if (partial.length === 0) return `Nobody in this workspace matches "${user}".`;
      const shown = partial.slice(0, 5).map((u) => describeUser(u, now()));
      return `${partial.length} match${partial.length === 1 ? '' : 'es'}${partial.length > 5 ? ' (first 5 shown)' : ''}:\n${shown.join('\n')}`;
    },
  });

  const currentTime = defineTool({
    name: 'current_time',
    description: 'The current date and time. Without `timezone` it uses the requesting user\'s time zone from their Slack profile ' +
      '(the server\'s outside Slack). Use it for "today", "tomorrow", deadlines and scheduling.',
    schema: z.object({ timezone: z.string().max(64).optional().describe('IANA time zone, e.g. "America/New_York"; default: the user\'s') }),
    readOnly: true,
    async run({ timezone }, { context }) {
      if (timezone && !validZone(timezone)) throw new ToolError('TOOL_INPUT_INVALID', `"${timezone}" is not an IANA time zone (e.g. Europe/Paris)`);
      let zone = timezone;
      let source = 'requested';
      if (!zone && context?.surface === 'slack') {
        try {
          zone = (await access.user(access.clientFor(context), context.workspaceId, context.userId)).tz;
          source = 'the user\'s Slack profile';
        } catch {
          zone = undefined;
        }
      }
      if (!zone) {
        zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        source = 'the server\'s time zone';
      }
      const at = now();
      return `${localTime(at, zone)} — time zone from ${source}. UTC: ${at.toISOString()}`;
    },
  });
  return [userLookup, currentTime];
}
