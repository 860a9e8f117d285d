import type { McpManager } from './mcp/mcp-manager.js';
import type { ToolDefinition } from './types.js';

export interface UnavailableTool {
  grant: string;
  /** Set when the tool belongs to an MCP server that is down or starting: the user is told, not just the log. */
  server?: string;
  reason: string;
}

export interface ResolvedTools {
  tools: ToolDefinition[];
  unavailable: UnavailableTool[];
}

/**
 * What an agent config's `tools` list grants, resolved at the start of each run (MCP servers come and go):
 * a built-in name, `server__tool`, or `server__*` for every tool of a server. Nothing else can add a tool to
 * a run — in particular nothing a tool returns.
 */
export class ToolRegistry {
  constructor(
    private readonly builtins: Map<string, ToolDefinition>,
    private readonly disabled: Map<string, string> = new Map(),
    private readonly mcp?: McpManager,
  ) {}

  resolve(grants: readonly string[]): ResolvedTools {
    const tools = new Map<string, ToolDefinition>();
    const unavailable: UnavailableTool[] = [];
    for (const grant of new Set(grants)) {
      const builtin = this.builtins.get(grant);
      if (builtin) {
        tools.set(builtin.name, builtin);
        continue;
      }
      const split = grant.indexOf('__');
      if (split <= 0) {
        unavailable.push({ grant, reason: this.disabled.get(grant) ?? `no tool named ${grant}` });
        continue;
      }
      const serverName = grant.slice(0, split);
      const server = this.mcp?.server(serverName);
      if (!server) {
        unavailable.push({ grant, reason: `no MCP server named ${serverName} is configured (MCP_CONFIG)` });
        continue;
      }
      const served = server.tools();
      if (!served) {
        unavailable.push({ grant, server: serverName, reason: server.unavailableReason() ?? 'unavailable' });
        continue;
      }
      const matching = grant.endsWith('__*') ? served : served.filter((t) => t.name === grant);
      if (matching.length === 0) unavailable.push({ grant, reason: `the MCP server ${serverName} has no tool ${grant.slice(split + 2)}` });
      for (const tool of matching) tools.set(tool.name, tool);
    }
    return { tools: [...tools.values()], unavailable };
  }
}
