import { AppError } from '../errors.js';
import { AgentStore } from './agents.js';
import { AnalystStore } from './analysts.js';
import { ApprovalStore } from './approvals.js';
import { BudgetStore } from './budgets.js';
import { CacheStore } from './cache.js';
import { EnhancementStore } from './enhancements.js';
import { ExperimentStore } from './experiments.js';
import { FeedbackStore } from './feedback.js';
import { GoalStore } from './goals.js';
import { MetricsStore } from './metrics.js';
import { RPC, type RpcTransport } from './rpc.js';
import { RunStore } from './runs.js';
import { WorkflowStore } from './workflows.js';

/** The schema version this code needs (app_schema_version() in the migrations). */
export const REQUIRED_SCHEMA_VERSION = 11;

/**
 * The store's domains. Each is a small class over the one RpcTransport port (runs.ts, agents.ts, ...), with its
 * contract in its doc comments; code takes only the domains it uses (`Pick<Stores, 'runs' | 'agents'>`).
 */
export interface Stores {
  runs: RunStore;
  agents: AgentStore;
  goals: GoalStore;
  feedback: FeedbackStore;
  workflows: WorkflowStore;
  metrics: MetricsStore;
  approvals: ApprovalStore;
  experiments: ExperimentStore;
  analysts: AnalystStore;
  budgets: BudgetStore;
  enhancements: EnhancementStore;
  cache: CacheStore;
}

/**
 * Every domain over one transport, plus the health and schema checks. main.ts and tests pick the transport
 * (see open-store.ts); nothing else knows which database is underneath.
 */
/** Where a store's single-process owner (embedded PGlite) publishes its loopback control endpoint for the CLI. */
export interface ControlChannel {
  publish(endpoint: { url: string; token: string }): void;
}

export class Store implements Stores {
  readonly runs: RunStore;
  readonly agents: AgentStore;
  readonly goals: GoalStore;
  readonly feedback: FeedbackStore;
  readonly workflows: WorkflowStore;
  readonly metrics: MetricsStore;
  readonly approvals: ApprovalStore;
  readonly experiments: ExperimentStore;
  readonly analysts: AnalystStore;
  readonly budgets: BudgetStore;
  readonly enhancements: EnhancementStore;
  readonly cache: CacheStore;

  /** Set for embedded PGlite in a directory: only this process may open it, so other processes ask it (npm run analyze). */
  readonly control: ControlChannel | undefined;

  constructor(readonly transport: RpcTransport, options: { control?: ControlChannel } = {}) {
    this.control = options.control;
    this.runs = new RunStore(transport);
    this.agents = new AgentStore(transport);
    this.goals = new GoalStore(transport);
    this.feedback = new FeedbackStore(transport);
    this.workflows = new WorkflowStore(transport);
    this.metrics = new MetricsStore(transport);
    this.approvals = new ApprovalStore(transport);
    this.experiments = new ExperimentStore(transport);
    this.analysts = new AnalystStore(transport);
    this.budgets = new BudgetStore(transport);
    this.enhancements = new EnhancementStore(transport);
    this.cache = new CacheStore(transport);
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

  /**
   * Refuses to run against a schema older than this code (e.g. Supabase without `supabase db push`): the
   * version must be current, and every function the app calls must exist with the arguments it sends —
   * compared with pg_proc, naming what is missing.
   */
  async checkSchema(): Promise<void> {
    let version = 0;
    try {
      version = Number(((await this.transport.call('app_schema_version')) as { version?: number } | null)?.version ?? 0);
    } catch (error) {
      if (AppError.isInstance(error) && error.code === 'STORE_UNAVAILABLE') throw error;
      version = 0;
    }
    const howTo = 'Apply the migrations: `supabase db push` (Supabase), or start the app once with DATABASE_URL.';
    if (version < REQUIRED_SCHEMA_VERSION) {
      throw new AppError('STORE_SCHEMA_OUTDATED', `The database schema is at version ${version}, this app needs ${REQUIRED_SCHEMA_VERSION}. ${howTo}`);
    }
    const missing = (await this.transport.call('app_schema_check', { p_functions: RPC })) as string[];
    if (missing.length > 0) {
      throw new AppError('STORE_SCHEMA_OUTDATED',
        `The database is missing ${missing.length} function${missing.length === 1 ? '' : 's'} this app calls (${missing.join(', ')}). ${howTo}`,
        { details: { missing } });
    }
  }

  /** Settings the SQL reads (the score weights), written once at start. */
  async putSetting(key: string, value: unknown): Promise<void> {
    await this.transport.call('app_setting_put', { p_key: key, p_value: value });
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
