import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { z } from 'zod';
import { SUGGESTED_PROMPTS } from '../../src/slack/slack-app.js';
import {
  AGENT_VIEW_ONLY_EVENTS, EVENT_SCOPES, METHOD_SCOPES, calledMethods, featureScopes, registeredCommands, sourceFiles,
  subscribedEvents, usesInteractivity,
} from './slack-requirements.js';

// Both manifests are pasted into Slack's "Create app → From a manifest": they must be strict YAML, have the
// shape of Slack's app manifest, and ask for exactly what the code uses — no missing command, event or scope
// (the feature silently does nothing), no extra one (an admin is asked to grant what is never used).

const REQUEST_URL = 'https://YOUR-HOST/slack/events';
const VARIANTS = [
  { file: 'manifest.yml', mode: 'socket' },
  { file: 'manifest.http.yml', mode: 'http' },
] as const;

// Slack's app manifest (limits from docs.slack.dev's manifest reference and @slack/web-api's Manifest type).
// Strict objects: a misspelt key fails here instead of in Slack's form.
const suggestedPrompt = z.strictObject({ title: z.string().min(1), message: z.string().min(1) });
const slashCommand = z.strictObject({
  command: z.string().regex(/^\/[a-z0-9_-]+$/).max(32),
  description: z.string().min(1).max(2000),
  usage_hint: z.string().min(1).max(1000),
  should_escape: z.boolean().optional(),
  url: z.string().optional(),
});
const manifestSchema = z.strictObject({
  display_information: z.strictObject({
    name: z.string().min(1).max(35),
    description: z.string().min(1).max(140),
    long_description: z.string().min(175).max(4000), // Slack refuses a long_description under 175 characters
    background_color: z.string().regex(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i),
  }),
  features: z.strictObject({
    app_home: z.strictObject({
      home_tab_enabled: z.boolean(), messages_tab_enabled: z.boolean(), messages_tab_read_only_enabled: z.boolean(),
    }),
    bot_user: z.strictObject({ display_name: z.string().min(1).max(80), always_online: z.boolean() }),
    assistant_view: z.strictObject({
      // 300 is agent_description's cap: the header tells admins they may move this text into agent_view.
      assistant_description: z.string().min(1).max(300),
      suggested_prompts: z.array(suggestedPrompt).min(1).max(4),
    }),
    slash_commands: z.array(slashCommand).min(1).max(50),
  }),
  oauth_config: z.strictObject({ scopes: z.strictObject({ bot: z.array(z.string().min(1)).min(1).max(255) }) }),
  settings: z.strictObject({
    event_subscriptions: z.strictObject({ request_url: z.string().optional(), bot_events: z.array(z.string().min(1)).min(1).max(100) }),
    interactivity: z.strictObject({ is_enabled: z.boolean(), request_url: z.string().optional() }),
    org_deploy_enabled: z.boolean(),
    socket_mode_enabled: z.boolean(),
    token_rotation_enabled: z.boolean(),
  }),
});
type Manifest = z.infer<typeof manifestSchema>;

/** Parses YAML the strict way (duplicate keys, warnings and errors all fail), as Slack's form would refuse it. */
function parseStrictYaml(text: string, name = 'YAML'): unknown {
  const doc = YAML.parseDocument(text, { strict: true, uniqueKeys: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings].map((problem) => problem.message);
  if (problems.length > 0) throw new Error(`${name} is not strict YAML:\n${problems.join('\n')}`);
  return doc.toJS();
}

function loadManifest(file: string): Manifest {
  const parsed = manifestSchema.safeParse(parseStrictYaml(readFileSync(file, 'utf8'), file));
  if (!parsed.success) throw new Error(`${file} is not a Slack app manifest:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

const sorted = (values: Iterable<string>) => [...values].sort();
const duplicates = (values: string[]) => values.filter((value, index) => values.indexOf(value) !== index);

const files = sourceFiles();

test('the strict parser refuses the unquoted ": " that broke the old manifest (so the check below can fail)', () => {
  expect(() => parseStrictYaml('assistant_view:\n  assistant_description: Ask anything, or give it a goal ("plan: …").\n'))
    .toThrow(/compact mappings/);
  expect(() => parseStrictYaml('a: 1\na: 2\n')).toThrow(/unique/i);
});

test('the two variants differ only in how Slack reaches the app (request URLs, socket_mode_enabled)', () => {
  const transportless = (manifest: Manifest) => {
    const copy = structuredClone(manifest) as Record<string, any>;
    for (const command of copy.features.slash_commands) delete command.url;
    delete copy.settings.event_subscriptions.request_url;
    delete copy.settings.interactivity.request_url;
    delete copy.settings.socket_mode_enabled;
    return copy;
  };
  expect(transportless(loadManifest('manifest.http.yml'))).toEqual(transportless(loadManifest('manifest.yml')));
});

describe.each(VARIANTS)('$file ($mode mode)', ({ file, mode }) => {
  const manifest = loadManifest(file);
  const { features, settings } = manifest;

  test('is strict YAML with the shape of a Slack app manifest', () => {
    expect(manifest.display_information.name).toBe('Improver');
    expect(features.bot_user.display_name).toBeTruthy();
    expect(settings.interactivity.is_enabled).toBe(true);
  });

  test(`reaches the app the ${mode} way`, () => {
    if (mode === 'http') {
      expect(settings.socket_mode_enabled).toBe(false);
      expect(features.slash_commands.map((c) => [c.command, c.url])).toEqual(features.slash_commands.map((c) => [c.command, REQUEST_URL]));
      expect(settings.event_subscriptions.request_url).toBe(REQUEST_URL);
      expect(settings.interactivity.request_url).toBe(REQUEST_URL);
    } else {
      // Socket Mode delivers everything over the WebSocket: Slack needs no URL, and a placeholder would be refused.
      expect(settings.socket_mode_enabled).toBe(true);
      expect(features.slash_commands.filter((c) => 'url' in c).map((c) => c.command)).toEqual([]);
      expect(settings.event_subscriptions).not.toHaveProperty('request_url');
      expect(settings.interactivity).not.toHaveProperty('request_url');
    }
  });

  test('offers the suggested prompts the app sets when an Assistant thread starts', () => {
    expect(features.assistant_view.suggested_prompts).toEqual(SUGGESTED_PROMPTS);
  });

  test('declares exactly the slash commands the code registers', () => {
    const declared = features.slash_commands.map((c) => c.command);
    expect(duplicates(declared)).toEqual([]);
    expect(sorted(declared)).toEqual(registeredCommands(files));
  });

  test('subscribes to exactly the events the code listens to', () => {
    const declared = settings.event_subscriptions.bot_events;
    expect(duplicates(declared)).toEqual([]);
    const listened = subscribedEvents(files);
    const hasAgentView = 'agent_view' in features;
    const needed = [...listened.keys()].filter((event) => hasAgentView || !AGENT_VIEW_ONLY_EVENTS.has(event));
    const missing = needed.filter((event) => !declared.includes(event)).map((event) => `${event} (listened to in ${listened.get(event)!.join(', ')})`);
    const unused = declared.filter((event) => !needed.includes(event));
    expect({ missing, unused }).toEqual({ missing: [], unused: [] });
  });

  test('asks for exactly the bot scopes the code needs', () => {
    const declared = manifest.oauth_config.scopes.bot;
    expect(duplicates(declared)).toEqual([]);
    const needed = new Map<string, string[]>(); // scope → why
    const need = (scope: string, why: string) => needed.set(scope, [...(needed.get(scope) ?? []), why]);
    const unmapped: string[] = [];
    for (const [method, where] of calledMethods(files)) {
      const scopes = METHOD_SCOPES[method];
      if (!scopes) unmapped.push(`method ${method} (${where.join(', ')}): add its scopes to METHOD_SCOPES`);
      for (const scope of scopes ?? []) need(scope, method);
    }
    for (const event of settings.event_subscriptions.bot_events) {
      const scopes = EVENT_SCOPES[event];
      if (!scopes) unmapped.push(`event ${event}: add its scopes to EVENT_SCOPES`);
      for (const scope of scopes ?? []) need(scope, event);
    }
    for (const [scope, why] of featureScopes(features)) need(scope, why);
    expect(unmapped).toEqual([]);
    const missing = [...needed.keys()].filter((scope) => !declared.includes(scope)).map((scope) => `${scope} (for ${needed.get(scope)!.join(', ')})`);
    const unused = declared.filter((scope) => !needed.has(scope));
    expect({ missing, unused }).toEqual({ missing: [], unused: [] });
  });

  test('turns on the surfaces the code serves', () => {
    const methods = calledMethods(files);
    const events = subscribedEvents(files);
    expect(settings.interactivity.is_enabled).toBe(usesInteractivity(files));
    // The App Home tab is published with views.publish; DMs (message.im) need a writable Messages tab.
    expect(features.app_home.home_tab_enabled).toBe(methods.has('views.publish'));
    expect(features.app_home.messages_tab_enabled).toBe(events.has('message.im'));
    expect(features.app_home.messages_tab_read_only_enabled).toBe(false);
  });
});

test('the code scan finds what the code is known to do (guards the regular expressions themselves)', () => {
  const methods = calledMethods(files);
  for (const method of ['chat.postMessage', 'chat.startStream', 'conversations.replies', 'files.uploadV2', 'assistant.threads.setSuggestedPrompts']) {
    expect(methods.has(method), method).toBe(true);
  }
  const events = subscribedEvents(files);
  for (const event of ['app_mention', 'message.channels', 'app_home_opened', 'assistant_thread_started']) expect(events.has(event), event).toBe(true);
  expect(registeredCommands(files)).toContain('/better');
});
