import { readMcpConfig, type McpServerConfig } from './mcp-config.js';

/** Config.tools: everything the tool layer reads from the environment (see src/config/variables.ts, group Tools). */
export interface ToolSettings {
  maxRounds: number;
  timeoutMs: number;
  resultMaxChars: number;
  approvalTimeoutMs: number;
  slackRead: { maxMessages: number; maxDays: number };
  /** Empty: http_fetch is off. */
  httpFetch: { allowlist: string[]; maxBytes: number };
  /** Tools spawnSpecialist may grant (SPAWN_TOOL_ALLOWLIST). */
  spawnAllowlist: string[];
  mcp: { servers: McpServerConfig[]; connectTimeoutMs: number; retryMs: number };
}

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * Builds ToolSettings from already-validated variables. The MCP file is read here, at startup, so a broken
 * file stops the app with the same exit status 2 and message format as any other bad variable.
 */
export function toolSettingsFrom(
  get: <T>(name: string) => T,
  env: Record<string, string | undefined>,
  problems: Array<{ variable: string; problem: string; shape?: string; example?: string }>,
): { settings: ToolSettings; secrets: string[] } {
  const path = get<string | undefined>('MCP_CONFIG');
  const mcp = path ? readMcpConfig(path, env) : { servers: [], secrets: [], problems: [] };
  for (const problem of mcp.problems) {
    problems.push({ variable: 'MCP_CONFIG', problem, shape: 'a JSON file {"mcpServers": {"name": {"command": ..., "args": [...]} | {"url": ..., "headers": {...}}}}', example: './mcp.json' });
  }
  return {
    settings: {
      maxRounds: get('TOOL_MAX_ROUNDS'),
      timeoutMs: get('TOOL_TIMEOUT_MS'),
      resultMaxChars: get('TOOL_RESULT_MAX_CHARS'),
      approvalTimeoutMs: get<number>('APPROVAL_TIMEOUT_SECONDS') * 1000,
      slackRead: { maxMessages: get('SLACK_READ_MAX_MESSAGES'), maxDays: get('SLACK_READ_MAX_DAYS') },
      httpFetch: { allowlist: list(get('HTTP_FETCH_ALLOWLIST')).map((h) => h.toLowerCase()), maxBytes: get('HTTP_FETCH_MAX_BYTES') },
      spawnAllowlist: list(get('SPAWN_TOOL_ALLOWLIST')),
      mcp: { servers: mcp.servers, connectTimeoutMs: get('MCP_CONNECT_TIMEOUT_MS'), retryMs: get<number>('MCP_RETRY_SECONDS') * 1000 },
    },
    secrets: mcp.secrets,
  };
}
