import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Server names become tool-name prefixes (`server__tool`), so they must fit OpenAI's function-name rule. */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

const common = {
  /** true: every tool of the server is read-only; a list: only those tools. Default false (side-effecting). */
  readOnly: z.union([z.boolean(), z.array(z.string())]).optional(),
  /** A required server that is down makes /health answer 503; optional ones (the default) only show their state. */
  required: z.boolean().optional(),
  /** Overrides TOOL_TIMEOUT_MS for this server's tools. */
  toolTimeoutMs: z.number().int().positive().max(600_000).optional(),
};
const stdioSchema = z.strictObject({
  command: z.string().min(1), args: z.array(z.string()).default([]), env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(), ...common,
});
const httpSchema = z.strictObject({ url: z.string().url(), headers: z.record(z.string(), z.string()).optional(), ...common });
const fileSchema = z.object({ mcpServers: z.record(z.string(), z.union([stdioSchema, httpSchema])) });

interface ServerCommon { name: string; readOnly: boolean | string[]; required: boolean; toolTimeoutMs?: number }
export type McpServerConfig = ServerCommon & (
  | { kind: 'stdio'; command: string; args: string[]; env?: Record<string, string>; cwd?: string }
  | { kind: 'http'; url: string; headers?: Record<string, string> });

export interface McpConfigResult {
  servers: McpServerConfig[];
  /** Values taken from the environment for headers and env (tokens): the logger must redact them. */
  secrets: string[];
  /** Empty when the file is valid. Never contains a secret value. */
  problems: string[];
}

/**
 * Reads the MCP_CONFIG file: `{"mcpServers": {name: {command, args, env} | {url, headers}}}` (the format
 * Claude Desktop and other MCP clients use), plus our readOnly/required/toolTimeoutMs. `${VAR}` in any
 * string is replaced from the environment, so tokens stay out of the file; a missing variable is a problem.
 */
export function readMcpConfig(path: string, env: Record<string, string | undefined>): McpConfigResult {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : `it is not valid JSON (${(error as Error).message})`;
    return { servers: [], secrets: [], problems: [`cannot read ${path}: ${reason}`] };
  }
  return parseMcpConfig(json, env);
}

export function parseMcpConfig(json: unknown, env: Record<string, string | undefined>): McpConfigResult {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { servers: [], secrets: [], problems: [`${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'not valid'}`] };
  }
  const problems: string[] = [];
  const secrets: string[] = [];
  const servers: McpServerConfig[] = [];
  for (const [name, raw] of Object.entries(parsed.data.mcpServers)) {
    if (!SERVER_NAME.test(name) || name.includes('__')) {
      problems.push(`server name "${name}" must be 1-32 letters, digits, "-" or "_" (no "__": it separates server and tool)`);
      continue;
    }
    const expand = (text: string, secret: boolean): string => text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, variable: string) => {
      const value = env[variable];
      if (value === undefined || value === '') {
        problems.push(`server "${name}" uses \${${variable}}, which is not set in the environment`);
        return '';
      }
      if (secret) secrets.push(value);
      return value;
    });
    const mapValues = (record: Record<string, string> | undefined) =>
      record ? Object.fromEntries(Object.entries(record).map(([k, v]) => [k, expand(v, true)])) : undefined;
    const base: ServerCommon = {
      name, readOnly: raw.readOnly ?? false, required: raw.required ?? false,
      ...(raw.toolTimeoutMs !== undefined ? { toolTimeoutMs: raw.toolTimeoutMs } : {}),
    };
    if ('command' in raw) {
      const envVars = mapValues(raw.env);
      servers.push({ ...base, kind: 'stdio', command: expand(raw.command, false), args: raw.args.map((a) => expand(a, false)),
        ...(envVars ? { env: envVars } : {}), ...(raw.cwd ? { cwd: expand(raw.cwd, false) } : {}) });
    } else {
      const headers = mapValues(raw.headers);
      servers.push({ ...base, kind: 'http', url: expand(raw.url, false), ...(headers ? { headers } : {}) });
    }
  }
  return { servers, secrets: secrets.filter((s) => s.length >= 6), problems };
}

/** Whether `tool` (its name on the server, without prefix) of this server is read-only by configuration. */
export function isReadOnly(server: Pick<McpServerConfig, 'readOnly'>, tool: string): boolean {
  return server.readOnly === true || (Array.isArray(server.readOnly) && server.readOnly.includes(tool));
}
