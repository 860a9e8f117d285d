import { LRUCache } from 'lru-cache';
import type { RunStore } from '../store/runs.js';
import { isStoreUnavailable, type StoreReachability } from './reachability.js';

type ThreadReads = Pick<RunStore, 'threadKnown' | 'threadAgent'>;

/**
 * Which threads the bot is part of (a follow-up there needs no mention) and who answered in them, with the last
 * answers kept in memory for a database outage. Threads the bot first answered during the outage are known from
 * the journal (`alsoKnown`). A thread never seen by this process is, during an outage, treated as not the bot's:
 * a follow-up there without a mention is not answered (the user can mention the bot).
 */
export class KnownThreads implements ThreadReads {
  private readonly known = new LRUCache<string, true>({ max: 20_000 });
  private readonly agents = new LRUCache<string, string>({ max: 20_000 });

  constructor(private readonly runs: ThreadReads, private readonly reach: StoreReachability,
    private readonly alsoKnown: (workspaceId: string, channelId: string, threadTs: string) => boolean = () => false) {}

  async threadKnown(workspaceId: string, channelId: string, threadTs: string): Promise<boolean> {
    const key = `${workspaceId}:${channelId}:${threadTs}`;
    if (this.alsoKnown(workspaceId, channelId, threadTs)) return true;
    if (this.reach.down) return this.known.has(key);
    try {
      const yes = await this.runs.threadKnown(workspaceId, channelId, threadTs);
      if (yes) this.known.set(key, true);
      return yes;
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      this.reach.markDown(error);
      return this.known.has(key);
    }
  }

  async threadAgent(workspaceId: string, channelId: string, threadTs: string): Promise<string | null> {
    const key = `${workspaceId}:${channelId}:${threadTs}`;
    if (this.reach.down) return this.agents.get(key) ?? null;
    try {
      const agent = await this.runs.threadAgent(workspaceId, channelId, threadTs);
      if (agent) this.agents.set(key, agent);
      return agent;
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      this.reach.markDown(error);
      return this.agents.get(key) ?? null;
    }
  }
}
