import type { ToolSettings } from '../../config/tool-settings.js';
import type { ToolDefinition } from '../types.js';
import { calculatorTool } from './calculator.js';
import { httpFetchTool } from './http-fetch.js';
import { peopleAndTimeTools } from './people-time.js';
import type { SlackAccess } from './slack-access.js';
import { slackReadTools } from './slack-read.js';

/** Every built-in tool by name, and the ones switched off by configuration with the reason. */
export function builtinTools(settings: Pick<ToolSettings, 'slackRead' | 'httpFetch'>, slack: SlackAccess): {
  tools: Map<string, ToolDefinition>;
  disabled: Map<string, string>;
} {
  const list = [calculatorTool, ...peopleAndTimeTools(slack), ...slackReadTools(slack, settings.slackRead)];
  const disabled = new Map<string, string>();
  if (settings.httpFetch.allowlist.length > 0) list.push(httpFetchTool(settings.httpFetch));
  else disabled.set('http_fetch', 'http_fetch is off: no sites are allowed (HTTP_FETCH_ALLOWLIST is empty)');
  return { tools: new Map(list.map((t) => [t.name, t])), disabled };
}

/** Names of all built-in tools, whether or not configuration enables them (for docs and allowlists). */
export const BUILTIN_TOOL_NAMES = ['calculator', 'current_time', 'user_lookup', 'slack_read_channel', 'slack_read_thread', 'http_fetch'] as const;
