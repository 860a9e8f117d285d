import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { HistoryMessage, MessageHandler } from '../surface/surface.js';
import type { CommandDispatcher } from '../commands/dispatcher.js';
import type { Store } from '../store/store.js';
import { saveChart } from './chart-file.js';
import { createConsoleSurface } from './console-surface.js';
import { renderForTerminal } from './terminal-markup.js';
import { cleanInput } from '../text/clean-input.js';

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
  /** DATA_DIR: /metrics charts are saved under its charts/. Absent: charts are not saved, and that is said. */
  dataDir?: string;
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
export async function runConsoleChat(orchestrator: MessageHandler, store: Store, options: ConsoleChatOptions): Promise<void> {
  const { output } = options;
  const userId = options.userId ?? `console:${safeUsername()}`;
  const threadTs = `${Date.now()}.000000`;
  const sessionId = randomUUID().slice(0, 8);
  const history: HistoryMessage[] = [];
  let sequence = 0;

  // The end of the start-up progress lines main.ts printed (database, log file): from here on, it listens.
  options.status.write('Ready.\n');
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
  // One reader for chat lines and approval answers: while a request waits for a y/n, the next line is the answer.
  const lines = new LineReader(rl[Symbol.asyncIterator]());
  const surface = createConsoleSurface(output, options.status, { color: options.interactive, ask: (timeoutMs) => lines.next(timeoutMs) });
  prompt();

  // Lines are handled strictly one after another, so piped input is answered in order.
  for (let raw = await lines.next(); raw !== undefined; raw = await lines.next()) {
    // Cleaned at the edge, like Slack text: a pasted NUL or control character is not an outage.
    const text = cleanInput(raw).trim();
    if (!text) { prompt(); continue; }
    if (text === '/quit' || text === '/exit') break;
    if (text === '/help') {
      // The shared commands (/better, /metrics, …) work here exactly as in Slack; `/name help` explains one.
      output.write(`${HELP}\n${options.commands ? `Also: ${options.commands.names().map((n) => `/${n}`).join(', ')} (add "help" for how to use one).\n` : ''}`);
    } else if (text === '/agents') {
      const { total, agents } = await store.agents.list({ limit: 50 });
      output.write(`${total} specialist${total === 1 ? '' : 's'}:\n${agents.map((a) => `  ${a.agentId} (v${a.version}) — ${a.description}${a.tools?.length ? ` [tools: ${a.tools.join(', ')}]` : ''}`).join('\n')}\n`);
    } else if (text.startsWith('/') && options.commands?.names().includes(text.slice(1).split(/\s/)[0]!)) {
      const name = text.slice(1).split(/\s/)[0]!;
      const reply = await options.commands.run(name, text.slice(name.length + 1).trim(), {
        surface: 'console', workspaceId: 'console', userId, channelId: `console-${sessionId}`, threadTs,
      });
      output.write(`${renderForTerminal(reply.text, options.interactive)}\n`);
      // A terminal cannot show a picture: the chart (a PNG) is saved, and its path printed to open it with.
      for (const file of reply.files ?? []) {
        if (!options.dataDir) {
          output.write(`(${file.title}: not saved, no data directory)\n`);
          continue;
        }
        const saved = await saveChart(options.dataDir, file.filename, file.bytes)
          .catch((error: NodeJS.ErrnoException) => new Error(`${error.code ?? 'error'}: ${error.message}`));
        output.write(saved instanceof Error ? `(${file.title}: could not be saved — ${saved.message})\n` : `${file.title} — chart saved to ${saved}\n`);
      }
    } else if (text.startsWith('/')) {
      output.write(`Unknown command ${text.split(/\s/)[0]}. Type /help for the list.\n`);
    } else {
      sequence++;
      const outcome = await orchestrator.handle({
        workspaceId: 'console', surface: 'console', userId, text, channelId: `console-${sessionId}`,
        messageTs: `${Date.now()}.${String(sequence).padStart(6, '0')}`, threadTs,
        history: [...history], participants: [userId],
      }, surface).finally(() => surface.endTurn());
      history.push({ role: 'user', text });
      if (outcome.kind === 'answered') history.push({ role: 'assistant', text: outcome.text });
    }
    prompt();
  }
  rl.close();
}

/**
 * Next line of input, optionally within a time limit. A read that timed out stays pending and is handed to
 * the next caller, so a line typed just after an approval expired is not lost: it becomes the next message.
 */
class LineReader {
  private pending: Promise<IteratorResult<string>> | undefined;

  constructor(private readonly lines: AsyncIterator<string>) {}

  next(): Promise<string | undefined>;
  next(timeoutMs: number): Promise<string | undefined | 'timeout'>;
  async next(timeoutMs?: number): Promise<string | undefined | 'timeout'> {
    const read = this.pending ?? this.lines.next();
    this.pending = read;
    let timer: NodeJS.Timeout | undefined;
    const timeout = timeoutMs === undefined ? undefined
      : new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    const result = await (timeout ? Promise.race([read, timeout]) : read);
    clearTimeout(timer);
    if (result === 'timeout') return 'timeout';
    this.pending = undefined;
    return result.done ? undefined : result.value;
  }
}

function safeUsername(): string {
  try {
    return userInfo().username;
  } catch {
    return 'user';
  }
}
