import type { Logger } from '../../ops/logger.js';
import type { McpServerConfig } from '../../config/mcp-config.js';
import { McpConnection, type McpServerStatus } from './mcp-connection.js';

/**
 * All configured MCP servers. Started in the background at app start (a slow server never delays the bot);
 * the registry asks it for the tools of servers that are up, /health for every server's state.
 */
export class McpManager {
  private readonly connections = new Map<string, McpConnection>();

  constructor(servers: McpServerConfig[], options: { logger: Logger; connectTimeoutMs: number; retryMs: number; maxRetryMs?: number }) {
    for (const server of servers) this.connections.set(server.name, new McpConnection(server, options));
  }

  /** Connects every server at once; resolves when each has connected or been marked down. */
  start(): Promise<void> {
    return Promise.all([...this.connections.values()].map((c) => c.connect())).then(() => undefined);
  }

  server(name: string): McpConnection | undefined {
    return this.connections.get(name);
  }

  get size(): number {
    return this.connections.size;
  }

  status(): Record<string, McpServerStatus> {
    return Object.fromEntries([...this.connections].map(([name, c]) => [name, c.status()]));
  }

  /** /health checks for servers marked `required` in the config: down → 503. Optional servers only report. */
  requiredChecks(): Record<string, () => Promise<boolean>> {
    return Object.fromEntries([...this.connections.values()].filter((c) => c.config.required)
      .map((c) => [`mcp:${c.name}`, async () => c.status().state === 'up']));
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
  }
}
