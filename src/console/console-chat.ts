import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { HistoryMessage } from '../orchestrator/surface.js';
import type { CommandDispatcher } from '../commands/dispatcher.js';
import type { Store } from '../store/store.js';
import { createConsoleSurface } from './console-surface.js';

export interface ConsoleChatOptions {
  input: Readable;
  output: Writable;
  /** Where status lines and footers go (stderr when output is piped). */
  status: Writable;
  interactive: boolean;
  modelConfigured: boolean;
  storeKind: string;
  userId?: string;
  /** Slash commands shared with Slack (/better, /metrics, …). */
  commands?: CommandDispatcher;
}

const HELP = `Commands:
  /help                 this help
  /agents               the specialists and what they do
  /quit                 leave (Ctrl-D works too)
Anything else is a message to the assistant.`;

/**
 * A terminal chat with the same orchestrator as Slack. Interactive (a prompt, colours) on a TTY; on a pipe,
 * one message per line, answered in order, exiting at end of input after the last answer.
 */
export async function runConsoleChat(orchestrator: Orchestrator, store: Store, options: ConsoleChatOptions): Promise<void> {
  const { output } = options;
  const surface = createConsoleSurface(output, options.status, { color: options.interactive });
  const userId = options.userId ?? `console:${safeUsername()}`;
  const threadTs = `${Date.now()}.000000`;
  const sessionId = randomUUID().slice(0, 8);
  const history: HistoryMessage[] = [];
  let sequence = 0;

  if (options.interactive) {
    output.write(`Improver console — store: ${options.storeKind}. Type /help for commands.\n`);
  }
  if (!options.modelConfigured) {
    options.status.write('No model is configured, so I can run commands but not answer questions.\n' +
      'Set OPENAI_API_KEY for OpenAI, or OPENAI_BASE_URL for a local server (Ollama: http://localhost:11434/v1,\n' +
      'LM Studio: http://localhost:1234/v1, vLLM: http://localhost:8000/v1), e.g. in a .env file, and start again.\n');
  }

  const rl = createInterface({ input: options.input, output: options.interactive ? output : undefined, terminal: options.interactive });
  const prompt = () => { if (options.interactive) rl.prompt(); };
  rl.setPrompt('you › ');
  prompt();

  // Lines are handled strictly one after another, so piped input is answered in order.
  for await (const raw of rl) {
    const text = raw.trim();
    if (!text) { prompt(); continue; }
    if (text === '/quit' || text === '/exit') break;
    if (text === '/help') {
      output.write(`${HELP}\n`);
    } else if (text === '/agents') {
      const { total, agents } = await store.agents.list({ limit: 50 });
      output.write(`${total} specialist${total === 1 ? '' : 's'}:\n${agents.map((a) => `  ${a.agentId} (v${a.version}) — ${a.description}`).join('\n')}\n`);
    } else if (text.startsWith('/') && options.commands?.names().includes(text.slice(1).split(/\s/)[0]!)) {
      const name = text.slice(1).split(/\s/)[0]!;
      const reply = await options.commands.run(name, text.slice(name.length + 1).trim(), {
        surface: 'console', workspaceId: 'console', userId, channelId: `console-${sessionId}`, threadTs,
      });
      output.write(`${reply.text}\n`);
      for (const file of reply.files ?? []) output.write(`(${file.title}: ${file.filename}, ${file.bytes.length} bytes — shown in Slack)\n`);
    } else if (text.startsWith('/')) {
      output.write(`Unknown command ${text.split(/\s/)[0]}. Type /help for the list.\n`);
    } else {
      sequence++;
      const outcome = await orchestrator.handle({
        workspaceId: 'console', surface: 'console', userId, text, channelId: `console-${sessionId}`,
        messageTs: `${Date.now()}.${String(sequence).padStart(6, '0')}`, threadTs,
        history: [...history], participants: [userId],
      }, surface);
      history.push({ role: 'user', text });
      if (outcome.kind === 'answered') history.push({ role: 'assistant', text: outcome.text });
    }
    prompt();
  }
  rl.close();
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return 'user';
  }
}
