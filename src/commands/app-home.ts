import { renderReport } from '../metrics/render-report.js';
import type { SlackFeature } from '../slack/slack-app.js';
import type { Store } from '../store/store.js';
import { USAGE } from './usage.js';
import { workflowLine } from './workflow-commands.js';
import { slackErrorCode } from '../slack/slack-error.js';
import { mrkdwnSection } from '../slack/blocks.js';


/** The Home tab: how to steer the assistant, the last 7 days' metrics (as /metrics shows them), saved workflows. */
export async function homeView(store: Store, workspaceId: string): Promise<Record<string, unknown>> {
  const [report, workflows, agents] = await Promise.all([
    store.metrics.report(workspaceId, '7d'), store.workflows.list(workspaceId), store.agents.list({ limit: 20 })]);
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

/** Publishes the Home tab each time a user opens it, so the figures are always current. */
export function appHome(): SlackFeature {
  return ({ app, store, logger }) => {
    app.event('app_home_opened', async ({ event, body, client }) => {
      if (event.tab !== 'home') return;
      const workspaceId = (body as { team_id?: string }).team_id ?? '';
      const view = await homeView(store, workspaceId).catch((error: unknown) => {
        logger.error({ err: error }, 'home tab data not loaded');
        return { type: 'home', blocks: [mrkdwnSection('I could not load the metrics just now. Open this tab again in a minute.')] };
      });
      await client.views.publish({ user_id: event.user, view: view as never })
        .catch((error: unknown) => logger.warn({ err: slackErrorCode(error) }, 'home tab not published'));
    });
  };
}
