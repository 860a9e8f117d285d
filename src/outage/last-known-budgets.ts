import { LRUCache } from 'lru-cache';
import type { Budget, BudgetStore } from '../store/budgets.js';
import { lastKnown } from './last-known.js';
import type { StoreReachability } from './reachability.js';

type BudgetReads = Pick<BudgetStore, 'requestStatus' | 'claimAlert'>;

/**
 * The budget read of every request (BudgetPolicy), with the last answer per (workspace, user) kept for a
 * database outage: a budget already used up keeps refusing or downgrading at its last-known spend, rather than
 * every budget being ignored (spend during the outage is counted when the journal is replayed). While the
 * database is known down it is not asked at all, so a request does not wait on a dead connection for its budgets.
 * A key never read before has no known budgets during the outage: the request is served without them.
 */
export class LastKnownBudgets implements BudgetReads {
  private readonly known = new LRUCache<string, Budget[]>({ max: 10_000 });

  constructor(private readonly budgets: BudgetReads, private readonly reach: StoreReachability) {}

  async requestStatus(workspaceId: string, userId?: string): Promise<Budget[]> {
    const key = `${workspaceId}:${userId ?? ''}`;
    return lastKnown(this.reach, async () => {
      const budgets = await this.budgets.requestStatus(workspaceId, userId);
      this.known.set(key, budgets);
      return budgets;
    }, () => this.known.get(key), () => []);
  }

  /** An alert is claimed once across instances in the database: during an outage none is claimed (none posted). */
  async claimAlert(budgetId: string, threshold: 80 | 100, spentUsd: number): Promise<boolean> {
    if (this.reach.down) return false;
    return this.budgets.claimAlert(budgetId, threshold, spentUsd);
  }
}
