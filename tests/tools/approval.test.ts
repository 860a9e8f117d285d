import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startHttpMcpServer, type HttpMcpServer } from '../fakes/mcp-server.js';
import { postInteraction } from '../fakes/slack-events.js';
import type { SlackCall } from '../fakes/slack-standin.js';
import { eventually, SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';
import { ask, isAgentRequest, saveAgent, script, toolMessages } from './helpers.js';

// Side-effecting tools wait for the requesting user's approval: a message in the thread with the exact tool
// and arguments and Approve / Deny buttons, clicked through Slack's signed block_actions interactions.
let h: Harness;
let ops: HttpMcpServer;
const restarts = () => ops.calls.filter((c) => c.tool === 'restart_service');

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'approval-'));
  ops = await startHttpMcpServer();
  // lookup_ticket is read-only by configuration; restart_service is not, so it needs approval.
  writeFileSync(join(dir, 'mcp.json'), JSON.stringify({ mcpServers: { ops: { url: ops.url, readOnly: ['lookup_ticket'] } } }));
  h = await startHarness({ SLACK_STREAMING: 'off', MCP_CONFIG: join(dir, 'mcp.json'), APPROVAL_TIMEOUT_SECONDS: '3', MODEL_MAX_RETRIES: '0' });
  await saveAgent(h, 'zebra-ops', 'zebra', ['ops__*']);
  await eventually(async () => ((await (await fetch(`${h.url}/health`)).json()) as any).mcp?.ops?.state === 'up', 15_000);
});
afterAll(async () => { await h?.close(); await ops?.close(); });
beforeEach(() => {
  h.openai.reset();
  script(h, 'zebra-ops', (n) => (n === 0 ? { toolCalls: [{ name: 'ops__restart_service', arguments: { service: 'billing' } }] } : { text: 'Done with billing.' }));
});

const isApproval = (c: SlackCall) => JSON.stringify(c.args.blocks ?? []).includes('tool_approve');
const buttonValue = (c: SlackCall): string => c.args.blocks.find((b: any) => b.type === 'actions').elements[0].value;
const click = (message: SlackCall, user: string, actionId: 'tool_approve' | 'tool_deny') => postInteraction(`${h.url}/slack/events`, SIGNING_SECRET, {
  type: 'block_actions', user: { id: user, team_id: 'T1' }, team: { id: 'T1' }, api_app_id: 'A1', token: 't', trigger_id: '1.2.3',
  channel: { id: 'C1' }, container: { type: 'message', message_ts: message.response.ts, channel_id: 'C1' }, message: { ts: message.response.ts },
  response_url: h.slack.responseUrl(),
  actions: [{ type: 'button', action_id: actionId, block_id: 'tool_approval', value: buttonValue(message), action_ts: '1' }],
});
const ephemeralTexts = () => h.slack.responseUrlPosts.map((p) => String(p.body.text ?? ''));
const messageNow = (ts: string) => h.slack.messages('C1').find((m) => m.ts === ts);

describe('approval of side-effecting tools', () => {
  test('the message shows the exact call; another user is refused; approve (double-clicked) runs it exactly once', async () => {
    const before = restarts().length;
    const pending = ask(h, 'zebra: restart the billing service');
    const message = await h.slack.waitFor('chat.postMessage', isApproval, 10_000);
    const shown = JSON.stringify(message.args.blocks);
    expect(shown).toContain('ops__restart_service');
    expect(shown).toContain('\\"service\\": \\"billing\\"');
    expect(shown).toContain('Only <@U1> can decide');

    expect((await click(message, 'U2', 'tool_approve')).status).toBe(200);
    await eventually(() => ephemeralTexts().some((t) => t === 'Only <@U1> can approve or deny this.'));
    expect(restarts().length).toBe(before);

    const [a, b] = await Promise.all([click(message, 'U1', 'tool_approve'), click(message, 'U1', 'tool_approve')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const { run, answer } = await pending;
    expect(answer).toContain('Done with billing.');
    expect(restarts()).toHaveLength(before + 1);
    expect(restarts().at(-1)!.args).toEqual({ service: 'billing' });
    await eventually(() => ephemeralTexts().some((t) => t === 'This was already approved.'));

    expect(run.steps.find((s) => s.kind === 'approval')).toMatchObject({ name: 'ops__restart_service', status: 'ok', detail: expect.objectContaining({ decidedBy: 'U1' }) });
    expect(run.steps.find((s) => s.kind === 'tool')).toMatchObject({ name: 'ops__restart_service', status: 'ok' });
    const updated = messageNow(message.response.ts);
    expect(updated.text).toMatch(/approved by <@U1>/);
    expect(JSON.stringify(updated.blocks)).not.toContain('tool_approve');
  });

  test('deny: the tool never runs and the model is told', async () => {
    const before = restarts().length;
    const pending = ask(h, 'zebra: restart the billing service again');
    const message = await h.slack.waitFor('chat.postMessage', (c) => isApproval(c) && !messageNow(c.response.ts)?.edited, 10_000);
    await click(message, 'U1', 'tool_deny');
    const { run } = await pending;
    expect(restarts().length).toBe(before);
    const [toolMessage] = toolMessages(h.openai.requests.filter(isAgentRequest)[1]!);
    expect(toolMessage.content).toMatch(/TOOL_DENIED\): the user denied this call, so it was not run/);
    expect(run.steps.find((s) => s.kind === 'approval')).toMatchObject({ status: 'denied', errorClass: 'TOOL_DENIED' });
    expect(run.steps.find((s) => s.kind === 'tool')).toMatchObject({ status: 'denied', errorClass: 'TOOL_DENIED' });
    expect(messageNow(message.response.ts).text).toMatch(/denied by <@U1>/);
  });

  test('timeout: not run, recorded, the buttons removed; a late click is refused', async () => {
    const before = restarts().length;
    const pending = ask(h, 'zebra: restart billing when you can');
    const message = await h.slack.waitFor('chat.postMessage', (c) => isApproval(c) && !messageNow(c.response.ts)?.edited, 10_000);
    const started = Date.now();
    const { run, answer } = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(answer).toContain('Done with billing.');
    expect(restarts().length).toBe(before);
    const [toolMessage] = toolMessages(h.openai.requests.filter(isAgentRequest)[1]!);
    expect(toolMessage.content).toMatch(/APPROVAL_TIMEOUT\): the user did not approve this call within 3 s/);
    expect(run.steps.find((s) => s.kind === 'approval')).toMatchObject({ status: 'timeout', errorClass: 'APPROVAL_TIMEOUT' });
    const updated = messageNow(message.response.ts);
    expect(updated.text).toMatch(/Nobody approved .* in time/);
    expect(JSON.stringify(updated.blocks)).not.toContain('tool_approve');

    await click(message, 'U1', 'tool_approve');
    await eventually(() => ephemeralTexts().some((t) => t === 'This request already expired; nothing was run.'));
    await new Promise((r) => setTimeout(r, 200));
    expect(restarts().length).toBe(before);
  });

  test('read-only MCP tools (by configuration) run without asking', async () => {
    script(h, 'zebra-ops', (n) => (n === 0 ? { toolCalls: [{ name: 'ops__lookup_ticket', arguments: { id: 'T-1' } }] } : { text: 'T-1 is open.' }));
    const { run } = await ask(h, 'zebra: status of T-1?');
    expect(run.steps.some((s) => s.kind === 'approval')).toBe(false);
    expect(run.steps.find((s) => s.kind === 'tool')).toMatchObject({ status: 'ok' });
  });
});
