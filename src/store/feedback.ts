import { camelize } from './rows.js';
import type { RpcTransport } from './rpc.js';
import { toRun, type Run } from './runs.js';

export type FeedbackSource = 'command' | 'button' | 'modal' | 'console';

export interface Feedback {
  id: string;
  runId: string;
  workspaceId: string;
  userId: string;
  rating: number | null;
  text: string | null;
  category: string | null;
  source: FeedbackSource;
  dedupeKey: string | null;
  createdAt: string;
}

/** An improvement proposal filed from feedback (an `enhancements` row, status 'proposed'). */
export interface Proposal {
  id: string;
  targetKind: 'agent' | 'workflow' | 'routing';
  targetId: string | null;
  category: string;
}

export interface RecordFeedbackInput {
  runId: string;
  workspaceId: string;
  userId: string;
  source: FeedbackSource;
  rating?: number;
  text?: string;
  /** Set: an improvement proposal is filed against what the run used (agents or workflow). */
  category?: string;
  /** Repeated submissions with one key are one row (button clicks: run + user); the latest rating wins. */
  dedupeKey?: string;
}

export type RecordFeedbackResult =
  | { ok: true; created: boolean; feedback: Feedback; run: Run; proposals: Proposal[] }
  | { ok: false; reason: 'no_run' };

/** Feedback on runs, and the lookup of "the caller's last answer" that /better and /save-workflow share. */
export class FeedbackStore {
  constructor(private readonly rpc: RpcTransport) {}

  /** The user's most recent finished request in a channel (and thread, when given); null when none. */
  async latestRun(key: { workspaceId: string; channelId: string; userId: string; threadTs?: string }): Promise<Run | null> {
    const row = await this.rpc.call('run_latest_for_user', {
      p_workspace_id: key.workspaceId, p_channel_id: key.channelId, p_user_id: key.userId, p_thread_ts: key.threadTs,
    });
    return row ? toRun(row) : null;
  }

  async record(input: RecordFeedbackInput): Promise<RecordFeedbackResult> {
    const row = (await this.rpc.call('feedback_record', {
      p_run_id: input.runId, p_workspace_id: input.workspaceId, p_user_id: input.userId, p_source: input.source,
      p_rating: input.rating, p_text: input.text, p_category: input.category, p_dedupe_key: input.dedupeKey,
    })) as { ok: boolean; created?: boolean; feedback?: unknown; run?: unknown; proposals?: unknown[] };
    if (!row.ok) return { ok: false, reason: 'no_run' };
    return {
      ok: true,
      created: row.created === true,
      feedback: camelize<Feedback>(row.feedback),
      run: toRun(row.run),
      proposals: (row.proposals ?? []).map((p) => camelize<Proposal>(p)),
    };
  }
}
