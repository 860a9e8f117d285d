// Loaded on the first connect: the adapters and the MCP SDK cost ~0.5 s at start, and most installs configure no server.
import type { MultiServerMCPClient } from '@langchain/mcp-adapters';
import type { DynamicStructuredTool } from '@langchain/core/tools';
import type { Logger } from '../../ops/logger.js';
import { ToolError, type ToolDefinition } from '../types.js';
import { isReadOnly, type McpServerConfig } from '../../config/mcp-config.js';

export type McpState = 'starting' | 'up' | 'down';

export interface McpServerStatus {
  state: McpState;
  transport: 'stdio' | 'http';
  required: boolean;
  tools: number;
  since: string;
  error?: string;
  nextRetryAt?: string;
}

const OPENAI_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_DESCRIPTION = 1000;
// Failures that mean the server (not this one call) is gone: the process exited, the connection dropped.
const CONNECTION_LOST = /connection closed|not connected|ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|fetch failed|terminated|other side closed/i;

/**
 * One configured MCP server: connects through the LangChain MCP adapters (one MultiServerMCPClient per
 * server, so one failing server never takes the others down), wraps its tools as ToolDefinitions named
 * `server__tool`, and tracks its state. A server that fails to start, times out or drops mid-run is marked
 * down, its client closed (a stdio child is killed) and a reconnect scheduled with doubling back-off.
 */
export class McpConnection {
  private state: McpState = 'starting';
  private since = new Date();
  private error: string | undefined;
  private client: MultiServerMCPClient | undefined;
  private definitions: ToolDefinition[] = [];
  private generation = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private nextRetryAt: Date | undefined;
  private closed = false;

  constructor(
    readonly config: McpServerConfig,
    private readonly options: { logger: Logger; connectTimeoutMs: number; retryMs: number; maxRetryMs?: number },
  ) {}

  get name(): string {
    return this.config.name;
  }

  /** The server's tools while it is up; null when it is not. */
  tools(): ToolDefinition[] | null {
    return this.state === 'up' ? this.definitions : null;
  }

  /** Why the tools are unavailable, for the model and the user; undefined while up. */
  unavailableReason(): string | undefined {
    if (this.state === 'up') return undefined;
    return this.state === 'starting' ? `the MCP server "${this.name}" is still starting` : `the MCP server "${this.name}" is down (${this.error ?? 'unknown error'})`;
  }

  status(): McpServerStatus {
    return {
      state: this.state, transport: this.config.kind, required: this.config.required, tools: this.definitions.length,
      since: this.since.toISOString(), ...(this.error ? { error: this.error } : {}),
      ...(this.nextRetryAt && this.state === 'down' ? { nextRetryAt: this.nextRetryAt.toISOString() } : {}),
    };
  }

  /** Connects and loads the tools; never throws (a failure marks the server down and schedules a retry). */
  async connect(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    const { MultiServerMCPClient } = await import('@langchain/mcp-adapters');
    if (this.closed || generation !== this.generation) return;
    const client = new MultiServerMCPClient({
      mcpServers: { [this.name]: this.connection() },
      prefixToolNameWithServerName: true,
      throwOnLoadError: false,
      onConnectionError: 'throw',
      useStandardContentBlocks: false,
    });
    this.client = client;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.options.connectTimeoutMs} ms`)), this.options.connectTimeoutMs);
      });
      const loaded = await Promise.race([client.getTools(), timeout]);
      // The stdio child exiting (or the transport closing) later marks the server down at once.
      const sdk = await client.getClient(this.name);
      if (sdk) sdk.onclose = () => { if (generation === this.generation) this.markDown('the connection closed'); };
      if (generation !== this.generation || this.closed) return;
      this.definitions = loaded.flatMap((tool) => this.wrap(tool, generation));
      this.setState('up');
      this.failures = 0;
      this.error = undefined;
      this.options.logger.info({ server: this.name, tools: this.definitions.map((t) => t.name) }, 'MCP server connected');
    } catch (error) {
      if (generation !== this.generation) return;
      this.markDown(`could not connect: ${(error as Error).message.slice(0, 300)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Marks the server down (once per outage), closes its client and schedules the next attempt. */
  markDown(reason: string): void {
    if (this.state === 'down' && this.retryTimer) return;
    this.generation++;
    this.error = reason;
    this.setState('down');
    const client = this.client;
    this.client = undefined;
    void client?.close().catch(() => {});
    if (this.closed) return;
    const delay = Math.min(this.options.retryMs * 2 ** this.failures, this.options.maxRetryMs ?? 600_000);
    this.failures++;
    this.nextRetryAt = new Date(Date.now() + delay);
    this.options.logger.warn({ server: this.name, reason, retryInMs: delay }, 'MCP server down; its tools are unavailable');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.setState('starting');
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.error = 'stopped';
    this.setState('down');
    await this.client?.close().catch(() => {});
    this.client = undefined;
  }

  private setState(state: McpState): void {
    if (this.state !== state) this.since = new Date();
    this.state = state;
  }

  private connection() {
    const c = this.config;
    return c.kind === 'stdio'
      ? { transport: 'stdio' as const, command: c.command, args: c.args, stderr: 'inherit' as const, restart: { enabled: false },
          ...(c.env ? { env: c.env } : {}), ...(c.cwd ? { cwd: c.cwd } : {}) }
      : { transport: 'http' as const, url: c.url, automaticSSEFallback: false, ...(c.headers ? { headers: c.headers } : {}) };
  }

  private wrap(tool: DynamicStructuredTool, generation: number): ToolDefinition[] {
    const original = tool.name.slice(this.name.length + 2);
    if (!OPENAI_NAME.test(tool.name)) {
      this.options.logger.warn({ server: this.name, tool: tool.name }, 'MCP tool skipped: its name is not a valid function name');
      return [];
    }
    const readOnly = isReadOnly(this.config, original);
    return [{
      name: tool.name,
      description: `[${this.name} server${readOnly ? '' : '; changes things: the user must approve each call'}] ${tool.description.slice(0, MAX_DESCRIPTION)}`,
      parameters: tool.schema as unknown as Record<string, unknown>,
      readOnly,
      server: this.name,
      ...(this.config.toolTimeoutMs ? { timeoutMs: this.config.toolTimeoutMs } : {}),
      run: async (args, { signal }) => {
        if (generation !== this.generation || this.state !== 'up') {
          throw new ToolError('TOOL_UNAVAILABLE', `${this.unavailableReason() ?? `the MCP server "${this.name}" restarted`}; its tools are unavailable for now`);
        }
        try {
          return contentText(await tool.invoke(args, { signal }));
        } catch (error) {
          if (signal.aborted) throw error;
          const message = (error as Error).message ?? String(error);
          if (generation !== this.generation || CONNECTION_LOST.test(message)) {
            this.markDown(`stopped responding: ${message.slice(0, 200)}`);
            throw new ToolError('TOOL_UNAVAILABLE', `the MCP server "${this.name}" stopped responding, so ${original} did not complete; its tools are unavailable for now`, { cause: error });
          }
          throw new ToolError('TOOL_FAILED', message.slice(0, 1000), { cause: error });
        }
      },
    }];
  }
}

/** MCP tool content (a string, or content blocks) as text; non-text blocks are named, not inlined. */
export function contentText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output.map((block: { type?: string; text?: string }) => (block?.type === 'text' && typeof block.text === 'string' ? block.text : `[${block?.type ?? 'non-text'} content omitted]`)).join('\n');
  }
  // A text block that also carries structuredContent comes back as one object.
  const block = output as { type?: string; text?: unknown } | null;
  if (block?.type === 'text' && typeof block.text === 'string') return block.text;
  return JSON.stringify(output) ?? '';
}
