import type { Logger } from '../../ops/logger.js';
import type { ApprovalDecision } from '../../surface/surface.js';
import type { ApprovalRow, ApprovalStore, DecideResult, NewApproval } from '../../store/approvals.js';

export interface ApprovalOutcome {
  decision: ApprovalDecision;
  decidedBy?: string;
}

const outcomeOf = (row: ApprovalRow | null): ApprovalOutcome | null => {
  if (!row || row.status === 'pending') return null;
  return { decision: row.status, ...(row.decidedBy ? { decidedBy: row.decidedBy } : {}) };
};

/**
 * Approvals of side-effecting tool calls. The store decides (once, in SQL); this adds waiting: a click on
 * this instance wakes the waiter at once, and the waiter also polls the store, so a click that another
 * instance received is seen within `pollMs`.
 */
export class ApprovalService {
  private readonly waiters = new Map<string, Set<(row: ApprovalRow) => void>>();
  private readonly pollMs: number;

  constructor(private readonly store: ApprovalStore, private readonly options: { logger: Logger; pollMs?: number }) {
    this.pollMs = options.pollMs ?? 1000;
  }

  async create(input: NewApproval): Promise<string> {
    return (await this.store.create(input)).id;
  }

  /** A click: the store checks it is the requester's and the first decision; waiters on this instance wake. */
  async decide(approvalId: string, userId: string, decision: 'approved' | 'denied'): Promise<DecideResult> {
    const result = await this.store.decide(approvalId, userId, decision);
    const row = result.approval;
    if (row && row.status !== 'pending') for (const wake of this.waiters.get(approvalId) ?? []) wake(row);
    return result;
  }

  /** Waits for the decision; at `timeoutMs` the request expires in the store (a decision that landed first still wins). */
  async wait(approvalId: string, timeoutMs: number): Promise<ApprovalOutcome> {
    const deadline = Date.now() + timeoutMs;
    let wake!: (row: ApprovalRow) => void;
    const woken = new Promise<ApprovalRow>((resolve) => { wake = resolve; });
    const set = this.waiters.get(approvalId) ?? new Set();
    set.add(wake);
    this.waiters.set(approvalId, set);
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        let timer: NodeJS.Timeout | undefined;
        const tick = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), Math.min(left, this.pollMs)); });
        const row = await Promise.race([woken, tick]);
        clearTimeout(timer);
        const outcome = outcomeOf(row) ?? outcomeOf(await this.store.get(approvalId).catch(() => null));
        if (outcome) return outcome;
      }
      return outcomeOf(await this.store.expire(approvalId)) ?? { decision: 'timeout' };
    } catch (error) {
      this.options.logger.warn({ err: error, approvalId }, 'approval state could not be read; treating it as not approved');
      return { decision: 'timeout' };
    } finally {
      set.delete(wake);
      if (set.size === 0) this.waiters.delete(approvalId);
    }
  }

  /**
   * The store's final word after a surface answered: records a console y/n (or any surface's decision) if
   * nothing was recorded yet, and returns what the store holds. The tool runs only if this says approved.
   */
  async settle(approvalId: string, userId: string, decision: ApprovalDecision): Promise<ApprovalOutcome> {
    if (decision === 'timeout') return outcomeOf(await this.store.expire(approvalId)) ?? { decision: 'timeout' };
    const result = await this.store.decide(approvalId, userId, decision);
    return outcomeOf(result.approval ?? null) ?? { decision: 'denied' };
  }
}
