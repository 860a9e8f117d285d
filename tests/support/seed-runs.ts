import type { ErrorCode } from '../../src/errors.js';
import type { RunStatus } from '../../src/store/runs.js';
import type { Store } from '../../src/store/store.js';

export interface SeedRun {
  workspaceId: string;
  channelId?: string;
  userId?: string;
  threadTs?: string;
  text?: string;
  agentId?: string;
  /** Omitted: the run is left running. */
  status?: Exclude<RunStatus, 'running'>;
  latencyMs?: number;
  costUsd?: number;
  tokensIn?: number;
  tokensOut?: number;
  errorClass?: ErrorCode;
  kind?: 'message' | 'command';
}

let seq = 0;

/** A run with known figures, written through the store API the way the run log writes real ones. */
export async function seedRun(store: Store, r: SeedRun): Promise<string> {
  seq++;
  const { run } = await store.runs.start({
    workspaceId: r.workspaceId, surface: 'slack', channelId: r.channelId ?? 'C1', userId: r.userId ?? 'U1',
    messageTs: `${Date.now()}.${String(seq).padStart(6, '0')}${Math.random().toString().slice(2, 6)}`,
    ...(r.threadTs ? { threadTs: r.threadTs } : {}), requestText: r.text ?? `request ${seq}`, ...(r.kind ? { kind: r.kind } : {}),
  });
  if (r.costUsd !== undefined || r.tokensIn !== undefined) {
    await store.runs.addStep(run.id, {
      kind: 'model', status: r.errorClass ? 'error' : 'ok', model: 'gpt-4.1-mini', ...(r.agentId ? { agentId: r.agentId, agentVersion: 1 } : {}),
      tokensIn: r.tokensIn ?? 0, tokensOut: r.tokensOut ?? 0, costUsd: r.costUsd ?? 0, latencyMs: r.latencyMs ?? 0,
    });
  }
  if (r.status) {
    await store.runs.finish(run.id, {
      status: r.status, route: 'direct', ...(r.agentId ? { agentIds: [r.agentId] } : {}), ...(r.latencyMs !== undefined ? { latencyMs: r.latencyMs } : {}),
      ...(r.errorClass ? { errorClass: r.errorClass, errorMessage: r.errorClass.toLowerCase() } : {}),
    });
  }
  return run.id;
}

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
export function percentileCont(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Six finished runs with known figures, shared by the metrics tests (SQL report and Slack rendering). */
export const KNOWN_RUNS = [
  { agentId: 'research', status: 'succeeded', latencyMs: 1000, costUsd: 0.001, tokensIn: 100, tokensOut: 10 },
  { agentId: 'research', status: 'succeeded', latencyMs: 2000, costUsd: 0.002, tokensIn: 200, tokensOut: 20 },
  { agentId: 'writing', status: 'failed', latencyMs: 8000, costUsd: 0.0005, tokensIn: 50, tokensOut: 0, errorClass: 'MODEL_TIMEOUT' },
  { agentId: 'research', status: 'succeeded', latencyMs: 1500, costUsd: 0.0015, tokensIn: 150, tokensOut: 15 },
  { agentId: 'writing', status: 'failed', latencyMs: 9000, errorClass: 'MODEL_TIMEOUT' },
  { agentId: 'general', status: 'refused', latencyMs: 100, errorClass: 'AGENT_BUSY' },
] as const;

export interface ServedRun {
  agentId: string;
  version: number;
  experiment?: { id: string; arm: 'control' | 'candidate' };
  costUsd: number;
  latencyMs?: number;
  outcome: 'accepted' | 'corrected';
}

/** One answered run by agent@version, optionally in an experiment's arm, with its cost, latency and outcome (settled). */
export async function seedServedRun(store: Store, r: ServedRun): Promise<string> {
  seq++;
  const ts = `1700000000.${String(seq).padStart(6, '0')}`;
  const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'slack', channelId: 'C1', userId: `U${seq % 7}`, messageTs: ts, threadTs: ts, requestText: `question ${seq}` });
  await store.runs.recordServing(run.id, { route: 'direct', routeReason: 'test', agent: { agentId: r.agentId, version: r.version },
    ...(r.experiment ? { experiment: r.experiment } : {}), detail: {} });
  await store.runs.addStep(run.id, { kind: 'model', status: 'ok', model: 'gpt-4.1', agentId: r.agentId, agentVersion: r.version,
    tokensIn: 100, tokensOut: 50, costUsd: r.costUsd, latencyMs: r.latencyMs ?? 800 });
  await store.runs.finish(run.id, { status: 'succeeded', route: 'direct', agentIds: [r.agentId], latencyMs: r.latencyMs ?? 800 });
  await store.runs.setOutcome(run.id, r.outcome, 'feedback');
  return run.id;
}
