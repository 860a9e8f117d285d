import { LRUCache } from 'lru-cache';
import type { RunStore } from '../store/runs.js';
import { lastKnown } from './last-known.js';
import type { StoreReachability } from './reachability.js';

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
    return lastKnown(this.reach, async () => {
      const yes = await this.runs.threadKnown(workspaceId, channelId, threadTs);
      if (yes) this.known.set(key, true);
      return yes;
    }, () => (this.known.has(key) ? true : undefined), () => false);
  }

  async threadAgent(workspaceId: string, channelId: string, threadTs: string): Promise<string | null> {
    const key = `${workspaceId}:${channelId}:${threadTs}`;
    return lastKnown(this.reach, async () => {
      const agent = await this.runs.threadAgent(workspaceId, channelId, threadTs);
      if (agent) this.agents.set(key, agent);
      return agent;
    }, () => this.agents.get(key), () => null);
  }
}
