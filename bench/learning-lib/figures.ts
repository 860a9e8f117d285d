import { openPglite } from '../../src/store/pglite/pglite-client.js';
import type { AskResult } from './users.js';
import { INTENTS, type Intent } from './workload.js';

/** One run of the app's run log, as the bench reads it after the app stopped. */
export interface LoggedRun {
  id: string;
  kind: string;
  threadTs: string | null;
  startedAt: number;
  costUsd: number;
  route: string | null;
  status: string;
  agentIds: string[];
  models: string[];
  experimentArm: string | null;
}

export interface LearningState {
  agents: Array<{ agentId: string; version: number; model: string | null; status: string; origin: string; notes: string | null; systemPrompt: string }>;
  enhancements: Array<{ category: string; targetId: string | null; status: string; reasons: string | null; createdAt: string; decidedAt: string | null }>;
  experiments: Array<{ targetKind: string; targetId: string; status: string; controlVersion: number | null; candidateVersion: number | null; startedAt: string; endedAt: string | null; decision: unknown }>;
  workflows: Array<{ name: string; kind: string; status: string; uses: number }>;
  errors: Array<{ errorClass: string; agentId: string | null; model: string | null; occurrences: number; recovery: string | null; attempts: number; successes: number }>;
  analystRuns: Array<{ job: string; runs: number; costUsd: number }>;
}

/** Reads an arm's database (PGlite directory) once its app has stopped and released it. */
export async function readDatabase(dataDir: string): Promise<{ runs: LoggedRun[]; state: LearningState }> {
  const sql = await openPglite(dataDir);
  try {
    const runs = (await sql.query<any>(`select id, kind, thread_ts, extract(epoch from started_at) * 1000 as started_ms, cost_usd, route, status, agent_ids,
        models, experiment_arm from runs order by started_at`)).map((r): LoggedRun => ({
      id: r.id, kind: r.kind, threadTs: r.thread_ts, startedAt: Number(r.started_ms), costUsd: Number(r.cost_usd), route: r.route, status: r.status,
      agentIds: r.agent_ids ?? [], models: r.models ?? [], experimentArm: r.experiment_arm,
    }));
    const state: LearningState = {
      agents: (await sql.query<any>('select agent_id, version, model, status, origin, notes, system_prompt from agent_configs order by agent_id, version')).map((a) => ({
        agentId: a.agent_id, version: a.version, model: a.model, status: a.status, origin: a.origin, notes: a.notes, systemPrompt: a.system_prompt })),
      enhancements: (await sql.query<any>(`select category, target_id, status, reasons, created_at::text, decided_at::text from enhancements
          where category in ('cheaper_model', 'prompt_revision', 'induced_workflow', 'response_cache') order by created_at`)).map((e) => ({
        category: e.category, targetId: e.target_id, status: e.status, reasons: e.reasons, createdAt: e.created_at, decidedAt: e.decided_at })),
      experiments: (await sql.query<any>(`select target_kind, target_id, status, control_version, candidate_version, started_at::text, ended_at::text, decision
          from experiments order by started_at`)).map((e) => ({
        targetKind: e.target_kind, targetId: e.target_id, status: e.status, controlVersion: e.control_version, candidateVersion: e.candidate_version,
        startedAt: e.started_at, endedAt: e.ended_at, decision: e.decision })),
      workflows: (await sql.query<any>('select name, kind, status, (select count(*) from runs r where r.workflow_id = w.id)::int as uses from workflows w order by created_at'))
        .map((w) => ({ name: w.name, kind: w.kind, status: w.status, uses: w.uses })),
      errors: (await sql.query<any>('select error_class, agent_id, model, occurrences, recovery, recovery_attempts, recovery_successes from error_knowledge order by occurrences desc'))
        .map((k) => ({ errorClass: k.error_class, agentId: k.agent_id, model: k.model, occurrences: k.occurrences, recovery: k.recovery,
          attempts: k.recovery_attempts, successes: k.recovery_successes })),
      analystRuns: (await sql.query<any>(`select route_reason as job, count(*)::int as runs, coalesce(sum(cost_usd), 0)::float as cost from runs where kind = 'analyst'
          group by route_reason order by 1`)).map((a) => ({ job: a.job, runs: a.runs, costUsd: a.cost })),
    };
    return { runs, state };
  } finally {
    await sql.close();
  }
}

export interface ThirdFigures {
  third: number;
  asks: number;
  requests: number;
  successRate: number;
  p50LatencyMs: number;
  costUsd: number;
  /** Of costUsd: the analysts' own runs (screening, judges, prompt drafts, …). */
  learningCostUsd: number;
  costPerQueryUsd: number;
  costPerSuccessUsd: number;
  byIntent: Record<string, { asks: number; success: number; p50Ms: number }>;
  routes: Record<string, number>;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Figures per third of the script (by request order): success and latency from what the simulated people saw;
 * cost from the run log, every run counted — a request's runs (its follow-up too) in its third, analyst runs in
 * the third during which they started.
 */
export function thirds(results: AskResult[], runs: LoggedRun[], total: number): ThirdFigures[] {
  const byThread = new Map(results.map((r) => [r.threadTs, r]));
  const thirdOf = (index: number) => Math.min(2, Math.floor((index * 3) / total));
  // Time boundaries: when the first request of the next third was sent.
  const starts = [0, 1, 2].map((k) => Math.min(...results.filter((r) => thirdOf(r.index) === k).map((r) => r.sentAt)));
  const thirdAt = (t: number) => (t >= starts[2]! ? 2 : t >= starts[1]! ? 1 : 0);
  const out: ThirdFigures[] = [0, 1, 2].map((third) => ({
    third: third + 1, asks: 0, requests: 0, successRate: 0, p50LatencyMs: 0, costUsd: 0, learningCostUsd: 0, costPerQueryUsd: 0, costPerSuccessUsd: 0,
    byIntent: {}, routes: {},
  }));
  for (const run of runs) {
    const ask = run.threadTs ? byThread.get(run.threadTs) : undefined;
    const k = ask ? thirdOf(ask.index) : thirdAt(run.startedAt);
    out[k]!.costUsd += run.costUsd;
    if (run.kind === 'analyst') out[k]!.learningCostUsd += run.costUsd;
    if (ask && ['message', 'goal', 'workflow'].includes(run.kind)) {
      out[k]!.requests++;
      const route = `${run.route ?? 'none'}${run.experimentArm === 'candidate' ? ' (candidate arm)' : ''}`;
      out[k]!.routes[route] = (out[k]!.routes[route] ?? 0) + 1;
    }
  }
  for (const f of out) {
    const mine = results.filter((r) => thirdOf(r.index) === f.third - 1);
    const good = mine.filter((r) => r.good).length;
    f.asks = mine.length;
    f.successRate = mine.length ? good / mine.length : 0;
    f.p50LatencyMs = median(mine.map((r) => r.latencyMs));
    f.costPerQueryUsd = mine.length ? f.costUsd / mine.length : 0;
    f.costPerSuccessUsd = good ? f.costUsd / good : Infinity;
    for (const intent of INTENTS as readonly Intent[]) {
      const of = mine.filter((r) => r.intent === intent);
      f.byIntent[intent] = { asks: of.length, success: of.length ? of.filter((r) => r.good).length / of.length : 0, p50Ms: median(of.map((r) => r.latencyMs)) };
    }
  }
  return out;
}

export interface TargetResult {
  costPerSuccessRatio: number;
  costPerQueryRatio: number;
  p50LatencyRatio: number;
  successPoints: number;
  success: number;
  pass: { costPerSuccess: boolean; p50Latency: boolean; successGain: boolean; successFloor: boolean; all: boolean };
}

/** The targets for the last third: cost per success ≤ 0.6×, p50 ≤ 0.7×, success ≥ baseline + 10 points and ≥ 90 %. */
export function targets(candidate: ThirdFigures, baseline: ThirdFigures): TargetResult {
  const costPerSuccessRatio = candidate.costPerSuccessUsd / baseline.costPerSuccessUsd;
  const p50LatencyRatio = candidate.p50LatencyMs / baseline.p50LatencyMs;
  const successPoints = (candidate.successRate - baseline.successRate) * 100;
  const pass = {
    costPerSuccess: costPerSuccessRatio <= 0.6, p50Latency: p50LatencyRatio <= 0.7, successGain: successPoints >= 10, successFloor: candidate.successRate >= 0.9,
    all: false,
  };
  pass.all = pass.costPerSuccess && pass.p50Latency && pass.successGain && pass.successFloor;
  return {
    costPerSuccessRatio, costPerQueryRatio: candidate.costPerQueryUsd / baseline.costPerQueryUsd, p50LatencyRatio, successPoints,
    success: candidate.successRate, pass,
  };
}
