import type { HistoryMessage } from '../agents/types.js';
import type { RunMeter } from '../model/run-meter.js';
import type { Logger } from '../ops/logger.js';
import type { IncomingMessage, Surface } from '../surface/surface.js';

/** Everything the paths that answer a request share: built once per run by the orchestrator. */
export interface RequestContext {
  runId: string;
  /** The message, with its conversation loaded (history and participants). */
  message: IncomingMessage & { history: HistoryMessage[]; participants: string[] };
  /** The guarded request text. */
  text: string;
  inputCut: boolean;
  surface: Surface;
  logger: Logger;
  /** The run's model spend: every model call of the request is charged here. */
  meter: RunMeter;
  started: number;
  deadline: number;
  /** The experiment unit: one thread. */
  unitKey: string;
  /** The output safety rules for this conversation. */
  sanitize(text: string): string;
}

export type { HandleOutcome } from '../surface/surface.js';

/** workspace:channel:thread — a conversation stays in one experiment arm. */
export function unitKeyOf(message: Pick<IncomingMessage, 'workspaceId' | 'channelId' | 'threadTs' | 'messageTs' | 'userId'>): string {
  return `${message.workspaceId}:${message.channelId ?? `dm-${message.userId}`}:${message.threadTs ?? message.messageTs ?? 'main'}`;
}
