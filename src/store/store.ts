import { AppError } from '../errors.js';
import { AgentStore } from './agents.js';
import { GoalStore } from './goals.js';
import { FeedbackStore } from '../feedback/feedback-store.js';
import { MetricsStore } from '../metrics/metrics-store.js';
import { WorkflowStore } from '../workflows/workflow-store.js';
import type { RpcTransport } from './rpc.js';
import { RunStore } from './runs.js';

/** The schema version this code needs (app_schema_version() in the migrations). */
export const REQUIRED_SCHEMA_VERSION = 3;

/**
 * Everything the app reads and writes, by domain. Core code depends on this class only, never on a
 * transport; main.ts and tests pick the transport (see open-store.ts).
 */
export class Store {
  readonly runs: RunStore;
  readonly agents: AgentStore;
  readonly goals: GoalStore;
  readonly feedback: FeedbackStore;
  readonly workflows: WorkflowStore;
  readonly metrics: MetricsStore;

  constructor(readonly transport: RpcTransport) {
    this.runs = new RunStore(transport);
    this.agents = new AgentStore(transport);
    this.goals = new GoalStore(transport);
    this.feedback = new FeedbackStore(transport);
    this.workflows = new WorkflowStore(transport);
    this.metrics = new MetricsStore(transport);
  }

  get kind(): RpcTransport['kind'] {
    return this.transport.kind;
  }

  /** True when the database answers; used by /health. */
  async ping(): Promise<boolean> {
    try {
      const result = (await this.transport.call('app_ping')) as { ok?: boolean } | null;
      return result?.ok === true;
    } catch {
      return false;
    }
  }

  /** Refuses to run against a schema older than this code (e.g. Supabase without `supabase db push`). */
  async checkSchema(): Promise<void> {
    let version = 0;
    try {
      version = Number(((await this.transport.call('app_schema_version')) as { version?: number } | null)?.version ?? 0);
    } catch (error) {
      if (AppError.isInstance(error) && error.code === 'STORE_UNAVAILABLE') throw error;
      version = 0;
    }
    if (version < REQUIRED_SCHEMA_VERSION) {
      throw new AppError('STORE_SCHEMA_OUTDATED',
        `The database schema is at version ${version}, this app needs ${REQUIRED_SCHEMA_VERSION}. ` +
        'Apply the migrations: `supabase db push` (Supabase), or start the app once with DATABASE_URL.');
    }
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
