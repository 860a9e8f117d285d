import { pino, type Logger } from 'pino';
import type { AgentConfig } from '../../src/store/agents.js';

/** A real pino logger whose JSON lines are kept for assertions. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  return { logger, lines };
}

export const LONG_PROMPT =
  'You are a careful specialist. Answer precisely and briefly, state assumptions, ask one clarifying question when the ' +
  'request is ambiguous, and format answers for Slack with short paragraphs and bullet lists where they help the reader.';

/** An in-memory AgentConfig for agents that never touch the store. */
export function agentConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    id: '00000000-0000-0000-0000-000000000001', agentId: 'tester', version: 1, status: 'current', specialty: 'testing',
    description: 'answers test questions', systemPrompt: 'You are a test specialist.', model: null, temperature: 0.3,
    maxTokens: null, tools: [], origin: 'user', notes: null, createdAt: new Date().toISOString(), ...overrides,
  };
}

export async function caught(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
