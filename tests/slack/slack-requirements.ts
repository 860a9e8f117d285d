import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { createImproverCommands } from '../../src/commands/improver-commands.js';
import type { Store } from '../../src/store/store.js';
import { sourceFiles as sourcePaths } from '../support/source-files.js';

/**
 * What the code needs from the Slack app configuration, read from the code itself, so that the manifest test
 * follows the code: a new command, listener or Web API call shows up here without editing the test.
 * The event and method scans are textual (regular expressions over src/), which is enough for the one style
 * the code uses (`app.event('x', …)`, `client.ns.method(…)`).
 */

export interface SourceFile { path: string; text: string }

/** Every .ts file under src/ (tests and declarations excluded), with comments removed. */
export function sourceFiles(dir = 'src'): SourceFile[] {
  return sourcePaths(dir).map((path) => ({ path, text: withoutComments(readFileSync(path, 'utf8')) }));
}

// Block comments that start a line, and `//` comments after whitespace (so `https://` in a string stays).
function withoutComments(text: string): string {
  return text.replace(/^\s*\/\*[\s\S]*?\*\//gm, '').replace(/(^|\s)\/\/.*$/gm, '$1');
}

/**
 * The slash commands the app registers: slackCommands() registers `/${name}` for every name of the command
 * dispatcher (createImproverCommands; names() does not touch the store), plus any literal app.command('/x').
 */
export function registeredCommands(files: SourceFile[]): string[] {
  const dispatcher = createImproverCommands({ store: {} as Store, logger: pino({ level: 'silent' }) });
  const names = new Set(dispatcher.names().map((name) => `/${name}`));
  for (const file of files) {
    for (const match of file.text.matchAll(/\bapp\.command\(\s*['"`](\/[\w-]+)['"`]/g)) names.add(match[1]!);
  }
  return [...names].sort();
}

const MESSAGE_EVENTS = ['message.channels', 'message.groups', 'message.im', 'message.mpim'];

// Bolt's Assistant class listens to these (its userMessage handler is a message.im listener).
const ASSISTANT_EVENTS = ['assistant_thread_started', 'assistant_thread_context_changed', 'message.im'];

/** Slack sends these only to apps whose manifest has `agent_view`; an assistant_view manifest omits them. */
export const AGENT_VIEW_ONLY_EVENTS = new Set(['app_context_changed']);

/** Event subscription name → the files whose listeners need it. */
export function subscribedEvents(files: SourceFile[]): Map<string, string[]> {
  const events = new Map<string, string[]>();
  const add = (event: string, file: SourceFile) => events.set(event, [...(events.get(event) ?? []), file.path]);
  for (const file of files) {
    for (const match of file.text.matchAll(/\bapp\.event\(\s*['"`]([\w.]+)['"`]/g)) {
      const event = match[1]!;
      // A listener for `message` hears what the message.* subscriptions deliver: channels, private, DMs, group DMs.
      for (const name of event === 'message' ? MESSAGE_EVENTS : [event]) add(name, file);
    }
    if (/\bapp\.message\(/.test(file.text)) for (const name of MESSAGE_EVENTS) add(name, file);
    if (/\bnew Assistant\(/.test(file.text)) for (const name of ASSISTANT_EVENTS) add(name, file);
  }
  return events;
}

// The Web API methods behind the helpers Bolt's Assistant class hands to its listeners (@slack/bolt Assistant.js,
// AssistantThreadContextStore.js).
const ASSISTANT_UTILITIES: Record<string, string[]> = {
  say: ['chat.postMessage'],
  setStatus: ['assistant.threads.setStatus'],
  setTitle: ['assistant.threads.setTitle'],
  setSuggestedPrompts: ['assistant.threads.setSuggestedPrompts'],
  saveThreadContext: ['conversations.replies', 'chat.update'],
  getThreadContext: ['conversations.replies'],
};

/** Web API method → the files that call it. */
export function calledMethods(files: SourceFile[]): Map<string, string[]> {
  const methods = new Map<string, string[]>();
  const add = (method: string, file: SourceFile) => methods.set(method, [...new Set([...(methods.get(method) ?? []), file.path])]);
  for (const file of files) {
    // Slack methods are `namespace.method` (one or more dots); single-segment calls (client.query) are other clients.
    for (const match of file.text.matchAll(/\bclient\.([a-z]+(?:\.[a-zA-Z]+)+)\s*\(/g)) add(match[1]!, file);
    if (/\bclient\.filesUploadV2\s*\(/.test(file.text)) add('files.uploadV2', file);
    if (/\bnew Assistant\(/.test(file.text)) {
      for (const [utility, behind] of Object.entries(ASSISTANT_UTILITIES)) {
        if (new RegExp(`\\b${utility}\\b`).test(file.text)) for (const method of behind) add(method, file);
      }
    }
  }
  return methods;
}

/** Whether any listener handles block actions, view submissions, option loads or shortcuts. */
export function usesInteractivity(files: SourceFile[]): boolean {
  return files.some((file) => /\bapp\.(action|view|options|shortcut)\(/.test(file.text));
}

const CONVERSATION_HISTORY = ['channels:history', 'groups:history', 'im:history', 'mpim:history'];
const CONVERSATION_READ = ['channels:read', 'groups:read', 'im:read', 'mpim:read'];

/**
 * Bot scopes each Web API method needs, from the methods' pages on docs.slack.dev. Methods that read
 * conversations need the scope of every conversation type the app serves (public and private channels, DMs,
 * group DMs). An empty list: the bot token alone is enough. A method missing here fails the test: add it.
 */
export const METHOD_SCOPES: Record<string, string[]> = {
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.startStream': ['chat:write'],
  'chat.appendStream': ['chat:write'],
  'chat.stopStream': ['chat:write'],
  'conversations.replies': CONVERSATION_HISTORY,
  'conversations.history': CONVERSATION_HISTORY,
  'conversations.members': CONVERSATION_READ,
  'conversations.info': CONVERSATION_READ,
  // Opening the asker's DM (the /metrics chart goes there, not to the channel).
  'conversations.open': ['im:write'],
  'users.info': ['users:read'],
  'users.list': ['users:read'],
  // files.uploadV2 is the SDK's wrapper over files.getUploadURLExternal + files.completeUploadExternal.
  'files.uploadV2': ['files:write'],
  // setStatus also accepts chat:write (changelog 2026-03-05); setTitle and setSuggestedPrompts need assistant:write.
  'assistant.threads.setStatus': ['assistant:write'],
  'assistant.threads.setTitle': ['assistant:write'],
  'assistant.threads.setSuggestedPrompts': ['assistant:write'],
  'views.publish': [],
  'views.open': [],
  'auth.test': [],
};

/** Bot scopes each event subscription needs (the events' pages on docs.slack.dev). A missing event fails the test. */
export const EVENT_SCOPES: Record<string, string[]> = {
  app_mention: ['app_mentions:read'],
  'message.channels': ['channels:history'],
  'message.groups': ['groups:history'],
  'message.im': ['im:history'],
  'message.mpim': ['mpim:history'],
  app_home_opened: [],
  assistant_thread_started: [],
  assistant_thread_context_changed: [],
  app_context_changed: [],
};

/** Bot scopes that manifest features need: slash commands need `commands`; the Assistant surface `assistant:write`. */
export function featureScopes(features: { slash_commands?: unknown[]; assistant_view?: unknown }): Map<string, string> {
  const scopes = new Map<string, string>();
  if (features.slash_commands?.length) scopes.set('commands', 'features.slash_commands');
  if (features.assistant_view) scopes.set('assistant:write', 'features.assistant_view');
  return scopes;
}
