import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { JournalFiles, type JournalSettings } from '../../src/journal/journal-files.js';
import { JournaledRunStore } from '../../src/journal/journaled-runs.js';
import { StoreReachability } from '../../src/outage/reachability.js';
import { storeUnavailable } from '../../src/store/store-errors.js';
import type { RunWrites } from '../../src/journal/journaled-runs.js';

/** A pino logger whose JSON lines are kept in `lines` (what an operator would read). */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

/**
 * The journal side of a process whose database is down: real files under `settings.dir`, and the run writes with
 * reachability marked down by the error a dead database gives, so every write goes to the journal.
 */
export function downJournal(settings: JournalSettings, logger: Logger, now?: () => number) {
  const files = new JournalFiles(settings, logger, now);
  const reach = new StoreReachability(logger);
  reach.markDown(storeUnavailable('connection refused (test)', undefined, { socketCode: 'ECONNREFUSED' }));
  // Never called while reach is down; a call would be a bug, so it fails loudly.
  const unreachable = () => { throw new Error('the live store was called during the outage'); };
  const live = { start: unreachable, addStep: unreachable, finish: unreachable, recordServing: unreachable, setAnswer: unreachable } as unknown as RunWrites;
  const runs = new JournaledRunStore({ runs: live, journal: files, reach, logger, windowMs: settings.maxAgeMs, ...(now ? { now } : {}) });
  return { files, reach, runs };
}

/** One answered conversation as the run log writes it: start, serving, a router and a model step, the answer, finish. */
export async function journalConversation(runs: JournaledRunStore, i: number, o: { finish?: boolean } = {}): Promise<string> {
  const { run, claimed } = await runs.start({
    workspaceId: 'T1', surface: 'slack', eventId: `Ev${i}`, channelId: 'C1', messageTs: `1700000000.${String(i).padStart(6, '0')}`,
    userId: 'U1', requestText: `question ${i}`, kind: 'message', leaseSeconds: 120,
  });
  if (!claimed) throw new Error(`run ${i} not claimed`);
  await runs.recordServing(run.id, { route: 'agent', routeReason: 'fallback', agent: { agentId: 'general', version: 1 }, detail: { kind: 'agent' } });
  await runs.addStep(run.id, { kind: 'router', status: 'ok', name: 'route', latencyMs: 3 });
  await runs.addStep(run.id, { kind: 'model', status: 'ok', agentId: 'general', agentVersion: 1, model: 'gpt-4o-mini', tokensIn: 100 + i, tokensOut: 20, costUsd: 0.0001, latencyMs: 250.4 });
  await runs.setAnswer(run.id, `answer ${i}`);
  if (o.finish !== false) await runs.finish(run.id, { status: 'succeeded', route: 'agent', agentIds: ['general'], answerTs: `1700000001.${i}`, delivered: true });
  return run.id;
}
