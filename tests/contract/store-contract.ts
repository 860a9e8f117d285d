import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AppError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { goalContract } from './goals-contract.js';
import { commandsContract } from './commands-contract.js';
import { versionsContract } from './versions-contract.js';

/**
 * The behaviour every store transport must have. Run on PGlite, on a real PostgreSQL server, and on the
 * Supabase transport (supabase-js over HTTP to an rpc stand-in backed by a real SQL engine).
 */
export function defineStoreContract(name: string, open: () => Promise<Store>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip)(`store contract: ${name}`, () => {
    let store: Store;
    let n = 0;
    const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${n++}`;

    beforeAll(async () => { store = await open(); });
    afterAll(async () => { await store?.close(); });
    goalContract(() => store);
    commandsContract(() => store);
    versionsContract(() => store, unique);

    test('answers ping and has the required schema version and every function the app calls', async () => {
      expect(await store.ping()).toBe(true);
      await expect(store.checkSchema()).resolves.toBeUndefined();
      // The check compares the app's calls with pg_proc: a function or argument that is not there is named.
      expect(await store.transport.call('app_schema_check', { p_functions: { run_start: ['p_workspace_id'], no_such_fn: [], run_get: ['p_bogus'] } }))
        .toEqual(['no_such_fn', 'run_get']);
    });

    test('seeds at least six built-in specialists with real prompts', async () => {
      const { total, agents } = await store.agents.list({ limit: 100 });
      expect(total).toBeGreaterThanOrEqual(6);
      const ids = agents.map((a) => a.agentId);
      for (const id of ['general', 'research', 'writing', 'coding', 'data-analysis', 'summarizer']) expect(ids).toContain(id);
      const summarizer = await store.agents.get('summarizer');
      expect(summarizer?.systemPrompt.length).toBeGreaterThan(200);
      expect(summarizer?.tools).toEqual(['slack_read_thread', 'slack_read_channel']);
    });

    test('a retried event (same event id) is one run; only the first delivery claims it', async () => {
      const eventId = unique('Ev');
      const first = await store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId, channelId: 'C1', messageTs: unique('ts'), requestText: 'hi' });
      const retry = await store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId, channelId: 'C1', messageTs: first.run.messageTs! });
      expect(first).toMatchObject({ created: true, claimed: true });
      expect(retry).toMatchObject({ created: false, claimed: false });
      expect(retry.run.id).toBe(first.run.id);
    });

    test('the same message as app_mention and message (different event ids) is one run', async () => {
      const ts = unique('1700000000');
      const mention = await store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId: unique('EvA'), channelId: 'C9', messageTs: ts });
      const message = await store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId: unique('EvB'), channelId: 'C9', messageTs: ts });
      expect(message.run.id).toBe(mention.run.id);
      expect(message.claimed).toBe(false);
      // Another workspace with the same channel/ts is a different message.
      const other = await store.runs.start({ workspaceId: 'T2', surface: 'slack', eventId: unique('EvC'), channelId: 'C9', messageTs: ts });
      expect(other.created).toBe(true);
    });

    test('ten concurrent deliveries of one event: exactly one claims it', async () => {
      const eventId = unique('EvX');
      const results = await Promise.all(Array.from({ length: 10 }, () =>
        store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId, channelId: 'C2', messageTs: `${eventId}.1` })));
      expect(results.filter((r) => r.claimed)).toHaveLength(1);
      expect(new Set(results.map((r) => r.run.id)).size).toBe(1);
    });

    test('a retry may take over a run whose lease expired while still running (first attempt died)', async () => {
      const eventId = unique('EvL');
      const first = await store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId, leaseSeconds: 0 });
      await new Promise((r) => setTimeout(r, 20));
      const takeover = await store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId, leaseSeconds: 300 });
      const late = await store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId, leaseSeconds: 300 });
      expect(takeover).toMatchObject({ created: false, claimed: true });
      expect(takeover.run.attempt).toBe(2);
      expect(late.claimed).toBe(false);
      await store.runs.finish(first.run.id, { status: 'succeeded' });
      const afterFinish = await store.runs.start({ workspaceId: 'T1', surface: 'slack', eventId, leaseSeconds: 0 });
      expect(afterFinish.claimed).toBe(false);
    });

    test('steps aggregate into the run: tokens, known cost, unknown-cost steps kept apart from 0', async () => {
      const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'test', requestText: 'cost' });
      await store.runs.addStep(run.id, { kind: 'model', status: 'ok', model: 'gpt-4.1-mini', agentId: 'general', agentVersion: 1,
        tokensIn: 1000, tokensOut: 500, costUsd: 0.0012, latencyMs: 120.4 });
      await store.runs.addStep(run.id, { kind: 'model', status: 'ok', model: 'mystery-model', tokensIn: 10, tokensOut: 5, costUsd: null });
      await store.runs.addStep(run.id, { kind: 'tool', status: 'error', name: 'calculator', errorClass: 'TOOL_FAILED', detail: { argBytes: 12 } });
      const finished = await store.runs.finish(run.id, { status: 'succeeded', route: 'direct', routeReason: 'registry match', agentIds: ['general'] });
      expect(finished).toMatchObject({ status: 'succeeded', tokensIn: 1010, tokensOut: 505, costUnknownSteps: 1, route: 'direct', agentIds: ['general'] });
      expect(finished.costUsd).toBeCloseTo(0.0012, 6);
      expect(finished.latencyMs).toBeGreaterThanOrEqual(0);
      const full = await store.runs.get(run.id);
      expect(full?.steps.map((s) => s.seq)).toEqual([1, 2, 3]);
      expect(full?.steps[1]?.costUsd).toBeNull();
      expect(full?.steps[0]?.costUsd).toBeCloseTo(0.0012, 6);
      expect(full?.steps[2]).toMatchObject({ kind: 'tool', name: 'calculator', errorClass: 'TOOL_FAILED', detail: { argBytes: 12 } });
    });

    test('the finish keeps the delivered answer text (cut to 8,000 characters); a finish without it keeps what is there', async () => {
      const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'test', requestText: 'keep my answer' });
      const finished = await store.runs.finish(run.id, { status: 'succeeded', answerText: `Paris. ${'x'.repeat(9000)}` });
      expect((finished as unknown as { answerText: string }).answerText).toHaveLength(8000);
      expect((finished as unknown as { answerText: string }).answerText.startsWith('Paris. ')).toBe(true);
      const again = await store.runs.finish(run.id, { status: 'succeeded' });
      expect((again as unknown as { answerText: string }).answerText).toHaveLength(8000);
    });

    test('the budgets of a request: global, its workspace, its person and every agent budget, with spend; no other workspace or person', async () => {
      const budgets = [
        { scope: 'global', period: 'daily', limitUsd: 100 }, { scope: 'workspace', scopeId: 'TB1', period: 'daily', limitUsd: 10 },
        { scope: 'workspace', scopeId: 'TB2', period: 'daily', limitUsd: 10 }, { scope: 'user', scopeId: 'UB1', period: 'monthly', limitUsd: 5 },
        { scope: 'user', scopeId: 'UB2', period: 'monthly', limitUsd: 5 }, { scope: 'agent', scopeId: 'budget-a', period: 'daily', limitUsd: 2 },
        { scope: 'agent', scopeId: 'budget-b', period: 'daily', limitUsd: 2 },
      ] as const;
      for (const b of budgets) await store.budgets.set({ ...b, action: 'warn' });
      try {
        const covering = await store.budgets.requestStatus('TB1', 'UB1');
        expect(covering.map((b) => `${b.scope}:${b.scopeId}`).sort()).toEqual(['agent:budget-a', 'agent:budget-b', 'global:*', 'user:UB1', 'workspace:TB1']);
        expect(covering.every((b) => b.spentUsd >= 0 && Date.parse(b.resetsAt) > Date.now())).toBe(true);
      } finally {
        for (const b of budgets) await store.budgets.remove(b.scope, 'scopeId' in b ? b.scopeId : '*', b.period);
      }
    });

    test('a thread is known once a run was started in it', async () => {
      const thread = unique('1700000001');
      expect(await store.runs.threadKnown('T1', 'C7', thread)).toBe(false);
      await store.runs.start({ workspaceId: 'T1', surface: 'slack', channelId: 'C7', messageTs: thread, threadTs: thread });
      expect(await store.runs.threadKnown('T1', 'C7', thread)).toBe(true);
      expect(await store.runs.threadKnown('T1', 'C8', thread)).toBe(false);
    });

    test('concurrent steps of one run get distinct sequence numbers', async () => {
      const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'test' });
      await Promise.all(Array.from({ length: 8 }, (_, i) => store.runs.addStep(run.id, { kind: 'note', status: 'ok', name: `n${i}` })));
      const full = await store.runs.get(run.id);
      expect(full?.steps.map((s) => s.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    test('a failed run keeps its error class; unknown run ids are errors, not silent no-ops', async () => {
      const { run } = await store.runs.start({ workspaceId: 'T1', surface: 'test' });
      const failed = await store.runs.finish(run.id, { status: 'failed', errorClass: 'MODEL_RATE_LIMITED', errorMessage: 'x'.repeat(5000) });
      expect(failed).toMatchObject({ status: 'failed', errorClass: 'MODEL_RATE_LIMITED' });
      expect(failed.errorMessage).toHaveLength(2000);
      const missing = '00000000-0000-4000-8000-000000000000';
      await expect(store.runs.finish(missing, { status: 'failed' })).rejects.toBeInstanceOf(AppError);
      await expect(store.runs.addStep(missing, { kind: 'note', status: 'ok' })).rejects.toMatchObject({ code: 'STORE_QUERY_FAILED' });
      expect(await store.runs.get(missing)).toBeNull();
    });

    test('agent configs are versioned: a save makes a new current version and archives the old one', async () => {
      const agentId = unique('agent');
      const v1 = await store.agents.save({ agentId, specialty: 'tax law', description: 'Questions about tax', systemPrompt: 'p1', temperature: 0.1 });
      const v2 = await store.agents.save({ agentId, specialty: 'tax law', description: 'Questions about tax', systemPrompt: 'p2', tools: ['calculator'] });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(await store.agents.get(agentId)).toMatchObject({ version: 2, status: 'current', systemPrompt: 'p2', tools: ['calculator'], temperature: 0.3 });
      expect(await store.agents.get(agentId, 1)).toMatchObject({ status: 'archived', temperature: 0.1 });
      expect(await store.agents.currentVersions([agentId, 'general', 'nope'])).toMatchObject({ [agentId]: 2, general: expect.any(Number) });
      const candidate = await store.agents.save({ agentId, specialty: 'tax law', description: 'd', systemPrompt: 'p3' }, 'candidate');
      expect(candidate).toMatchObject({ version: 3, status: 'candidate' });
      expect((await store.agents.get(agentId))?.version).toBe(2);
      expect(await store.agents.get('no-such-agent')).toBeNull();
      await expect(store.agents.save({ agentId: 'Bad Id!', specialty: 's', description: 'd', systemPrompt: 'p' })).rejects.toBeInstanceOf(AppError);
    });

    test('full-text search ranks the matching specialist first', async () => {
      const matches = await store.agents.search('Can you summarize this thread and list the action items?');
      expect(matches[0]?.agentId).toBe('summarizer');
      const code = await store.agents.search('debug this stack trace in my code');
      expect(code[0]?.agentId).toBe('coding');
      expect(await store.agents.search('')).toEqual([]);
    });

    test('lineage records relations and refuses a depends_on cycle', async () => {
      const a = unique('a');
      const b = unique('b');
      await store.agents.addLineage({ childKind: 'agent', childId: a, relation: 'inherits', parentKind: 'agent', parentId: 'general' });
      await store.agents.addLineage({ childKind: 'agent', childId: a, relation: 'depends_on', parentKind: 'agent', parentId: b });
      await expect(store.agents.addLineage({ childKind: 'agent', childId: b, relation: 'depends_on', parentKind: 'agent', parentId: a }))
        .rejects.toMatchObject({ code: 'STORE_QUERY_FAILED' });
      const { parents } = await store.agents.lineageOf('agent', a);
      expect(parents.map((p) => p.relation).sort()).toEqual(['depends_on', 'inherits']);
      const { children } = await store.agents.lineageOf('agent', 'general');
      expect(children.some((c) => c.childId === a && c.relation === 'inherits')).toBe(true);
    });
  });
}
