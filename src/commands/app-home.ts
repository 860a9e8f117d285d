import { renderReport } from '../metrics/render-report.js';
import type { SlackFeature } from '../slack/slack-app.js';
import type { Store } from '../store/store.js';
import { USAGE } from './usage.js';
import { workflowLine } from './workflow-commands.js';
import { slackErrorCode } from '../slack/slack-error.js';
import { mrkdwnSection } from '../slack/blocks.js';
import { categoryLabel, describeTarget } from '../improvement/describe.js';
import type { Experiment } from '../store/experiments.js';
import { pct } from '../text/format.js';
import { STOP_EXPERIMENT } from './slack-improver-actions.js';
import { isSlackAdmin } from './slack-admins.js';


/** Experiments the Home tab lists: the running ones, and promoted ones still inside their watch window. */
const RECENTLY_APPLIED_DAYS = 14;

/** What is being tried and what was just applied, each with the button an admin uses to stop or undo it. */
function experimentBlocks(experiments: Array<Experiment & { enhancement: Record<string, unknown> | null }>, now: number): unknown[] {
  const running = experiments.filter((e) => e.status === 'running');
  const applied = experiments.filter((e) => e.status === 'promoted' && e.endedAt && now - Date.parse(e.endedAt) < RECENTLY_APPLIED_DAYS * 86_400_000);
  if (running.length === 0 && applied.length === 0) return [];
  const row = (e: (typeof experiments)[number], text: string, button: string) => ({
    type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) },
    accessory: { type: 'button', text: { type: 'plain_text', text: button }, action_id: STOP_EXPERIMENT, value: e.id,
      confirm: { title: { type: 'plain_text', text: `${button}?` }, text: { type: 'plain_text', text: button === 'Stop' ? 'The current version keeps serving everyone.' : 'The version it replaced serves everyone again.' },
        confirm: { type: 'plain_text', text: button }, deny: { type: 'plain_text', text: 'Cancel' } } },
  });
  const what = (e: (typeof experiments)[number]) => `*${categoryLabel(e.enhancement?.category as string | undefined)}* on ${describeTarget(e)}`;
  return [
    { type: 'header', text: { type: 'plain_text', text: `Improvements being tried (${running.length})` } },
    ...(running.length ? running.slice(0, 10).map((e) => row(e, `${what(e)} — on ${pct(e.share)} of new conversations since ${e.startedAt.slice(0, 10)}`, 'Stop'))
      : [mrkdwnSection('None right now.')]),
    ...applied.slice(0, 10).map((e) => row(e, `${what(e)} — applied ${e.endedAt!.slice(0, 10)}, watched for a drop`, 'Roll back')),
    { type: 'context', elements: [{ type: 'mrkdwn', text: 'Admins can stop or roll back. `/metrics improvements` shows the figures and why each was decided.' }] },
  ];
}

/** The Home tab: how to steer the assistant, the last 7 days' metrics (as /metrics shows them), experiments (with the loop on), saved workflows. */
export async function homeView(store: Store, workspaceId: string, options: { experiments?: boolean; now?: number } = {}): Promise<Record<string, unknown>> {
  const [report, workflows, agents, experiments] = await Promise.all([
    store.metrics.report(workspaceId, '7d'), store.workflows.list(workspaceId), store.agents.list({ limit: 20 }), options.experiments ? store.experiments.list() : Promise.resolve([])]);
  const metrics = report ? renderReport(report).blocks : [];
  const saved = workflows.filter((w) => w.kind === 'saved');
  const induced = workflows.filter((w) => w.kind === 'induced');
  const list = (items: typeof workflows, none: string) => (items.length ? items.slice(0, 20).map((w) => mrkdwnSection(workflowLine(w))) : [mrkdwnSection(none)]);
  return {
    type: 'home',
    blocks: [
      mrkdwnSection('*Improver* answers with the specialist that fits and logs every run. Rate answers with 👍 / 👎 under them or `/better`, save what worked with `/save-workflow`, and check how it is doing with `/metrics`.'),
      { type: 'divider' },
      ...metrics,
      ...experimentBlocks(experiments, options.now ?? Date.now()),
      { type: 'divider' },
      { type: 'header', text: { type: 'plain_text', text: `Specialists (${agents.total})` } },
      mrkdwnSection(agents.agents.map((a) => `*${a.agentId}* v${a.version} — ${a.specialty}${a.tools.length ? ` · tools: ${a.tools.map((t) => `\`${t}\``).join(', ')}` : ''}`).join('\n')
        + (agents.total > agents.agents.length ? `\n_…and ${agents.total - agents.agents.length} more_` : '')),
      { type: 'header', text: { type: 'plain_text', text: `Saved workflows (${saved.length})` } },
      ...list(saved, 'None yet. After a good answer, `/save-workflow <name>` saves it for replay.'),
      { type: 'header', text: { type: 'plain_text', text: `Learned workflows (${induced.length})` } },
      ...list(induced, 'None yet.'),
      { type: 'divider' },
      { type: 'context', elements: Object.values(USAGE).map((text) => ({ type: 'mrkdwn', text: text.split('\n')[0]! })) },
    ].slice(0, 100),
  };
}

/**
 * Publishes the Home tab each time a user opens it, so the figures are always current. With the improvement
 * loop, its Stop / Roll back buttons work for admins; the tab is published again with what happened on top.
 */
export function appHome(options: { stop?: (experimentId: string, actor: string) => Promise<string>; adminUsers?: string[] } = {}): SlackFeature {
  return ({ app, store, logger }) => {
    const publish = async (client: { views: { publish(args: never): Promise<unknown> } }, userId: string, workspaceId: string, notice?: string) => {
      const view = await homeView(store, workspaceId, { experiments: Boolean(options.stop) }).catch((error: unknown) => {
        logger.error({ err: error }, 'home tab data not loaded');
        return { type: 'home', blocks: [mrkdwnSection('I could not load the metrics just now. Open this tab again in a minute.')] };
      });
      if (notice) (view.blocks as unknown[]).unshift(mrkdwnSection(notice));
      await client.views.publish({ user_id: userId, view: { ...view, blocks: (view.blocks as unknown[]).slice(0, 100) } } as never)
        .catch((error: unknown) => logger.warn({ err: slackErrorCode(error) }, 'home tab not published'));
    };
    app.event('app_home_opened', async ({ event, body, client }) => {
      if (event.tab !== 'home') return;
      await publish(client, event.user, (body as { team_id?: string }).team_id ?? '');
    });
    if (!options.stop) return;
    app.action(STOP_EXPERIMENT, async ({ ack, body, action, client }) => {
      await ack();
      const userId = body.user.id;
      const workspaceId = body.team?.id ?? '';
      if (!(await isSlackAdmin(client, userId, options.adminUsers ?? [], logger))) {
        await publish(client, userId, workspaceId, ':lock: Only workspace owners and admins (and ADMIN_USERS) can stop or roll back an improvement.');
        return;
      }
      const text = await options.stop!((action as { value?: string }).value ?? '', userId).catch((error: unknown) => {
        logger.error({ err: error }, 'experiment not stopped');
        return 'That did not work (the database may be unreachable); try again in a minute, or `/improver stop <id>`.';
      });
      await publish(client, userId, workspaceId, text);
    });
  };
}
