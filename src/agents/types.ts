import type { RunMeter } from '../model/run-meter.js';
import type { AgentConfig } from '../store/agents.js';
import type { HistoryMessage } from '../surface/surface.js';
import type { ModelRound } from '../tools/tool-loop.js';
import type { ToolContext } from '../tools/types.js';

export type { HistoryMessage } from '../surface/surface.js';

export type { ToolContext } from '../tools/types.js';
export type { ModelRound } from '../tools/tool-loop.js';


/**
 * What one specialist produces for one request. Its model, tokens, latency and modelCalls (retries included;
 * 1 on the fast path) are the totals over its rounds. Each round is also a run step already (the model port
 * meters every call).
 */
export interface AgentResult extends ModelRound {
  text: string;
  /** With tools: each model round (tokens above are their sums). Absent on the fast path (one round). */
  rounds?: ModelRound[];
  /** Tools the model called, for the answer's context line. */
  toolsUsed?: string[];
  /** Short notices for the user, appended to the answer (tool limit reached, a tool server down…). */
  notices?: string[];
}

export interface AgentRunInput {
  /** The user's request (already size-guarded). */
  text: string;
  history?: HistoryMessage[];
  /** The run this work is charged to: every model call becomes one of its steps. */
  meter: RunMeter;
  /** Serve on this model instead of the config's (a budget downgrade, a recovery's fallback model). */
  model?: string;
  /** Recorded on the steps (e.g. the goal task the call is for); kind 'synthesis' for a goal's combining call. */
  stepName?: string;
  stepKind?: 'model' | 'synthesis';
  stepDetail?: Record<string, unknown>;
  /** Called with each streamed piece of the answer; absent → no streaming. */
  onToken?: (token: string) => void;
  /**
   * Streaming only: called before a retry when the failed attempt had already passed tokens to onToken.
   * Discard what was shown: the retry streams its whole answer again from the start. Without onReset,
   * a failure after the first token is NOT retried (the error is thrown), so text is never duplicated.
   */
  onReset?: () => void;
  /** Called before a retry, e.g. to show "retrying" status. `attempt` is the attempt that failed (1-based). */
  onRetry?: (info: { attempt: number; delayMs: number; errorCode: string }) => void;
  /** Absolute deadline (epoch ms) for the whole request, retries included. */
  deadline: number;
  signal?: AbortSignal;
  /** Who asks and where: what the tools may read, whose approval counts, where tool calls are recorded. Absent: tools needing it refuse. */
  tools?: ToolContext;
}

/** A live specialist built from one AgentConfig version. */
export interface Agent {
  readonly config: AgentConfig;
  run(input: AgentRunInput): Promise<AgentResult>;
  /** Releases what the agent holds (clients, tool sessions). Idempotent. */
  dispose(): Promise<void>;
}
