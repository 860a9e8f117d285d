import { singleTaskPlan } from '../goals/plan.js';
import { pct, plural, quote, rating } from '../text/format.js';
import type { Store } from '../store/store.js';
import { successRate, WORKFLOW_NAME, type Workflow } from '../store/workflows.js';
import type { CommandContext, CommandReply } from './dispatcher.js';
import { reply, shown, usage } from './usage.js';

export type SaveArgs = { name: string; description?: string; replace: boolean };

// Phones and macOS turn "--" into a dash; "—replace" means --replace.
const REPLACE_FLAG = /^(--|—|–)replace$/i;

export function parseSaveWorkflow(raw: string): SaveArgs | { error: string | null } {
  const words = raw.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return { error: 'Give the workflow a name.' };
  if (/^(help|-h|--help|\?)$/i.test(words[0]!) && words.length === 1) return { error: null };
  const replace = words.some((w) => REPLACE_FLAG.test(w));
  const rest = words.filter((w) => !REPLACE_FLAG.test(w));
  const unknown = rest.find((w) => /^(--|—|–)\S/.test(w));
  if (unknown) return { error: `Unknown option ${shown(unknown)}: the only option is \`--replace\`.` };
  const name = (rest[0] ?? '').replace(/^[`'"]|[`'"]$/g, '').toLowerCase();
  if (!name) return { error: 'Give the workflow a name.' };
  if (!WORKFLOW_NAME.test(name)) return { error: `${shown(rest[0]!)} is not a valid name: use lowercase letters, digits and dashes (at most 63), e.g. \`weekly-report\`.` };
  // At most 500 characters, cut between characters (a lone half of an emoji is not valid text for the database).
  const description = Array.from(rest.slice(1).join(' ').trim()).slice(0, 500).join('');
  return { name, replace, ...(description ? { description } : {}) };
}

/** "3 uses · 66.7% success · avg 4.50/5" */
export function usageLine(w: Workflow): string {
  const rate = successRate(w);
  return [plural(w.uses, 'use'), rate === null ? 'no runs yet' : `${pct(rate)} success`,
    w.avgRating === null ? 'no ratings' : `avg ${rating(w.avgRating)}`].join(' · ');
}

export function workflowLine(w: Workflow): string {
  const steps = w.graph.tasks.map((t) => t.specialty).join(' → ');
  return `• \`${w.name}\` (${w.kind}${w.status === 'active' ? '' : `, ${w.status}`}) — ${w.description ?? w.graph.title}` +
    `\n    ${plural(w.graph.tasks.length, 'task')}${steps ? `: ${steps}` : ''} · ${usageLine(w)}`;
}

/** /save-workflow: the caller's most recent run (a goal's task graph, or a one-task plan) as a named workflow. */
export async function saveWorkflowCommand(store: Store, text: string, context: CommandContext): Promise<CommandReply> {
  const args = parseSaveWorkflow(text);
  if ('error' in args) return usage('save-workflow', args.error ?? undefined);
  const run = await store.feedback.latestRun({
    workspaceId: context.workspaceId, channelId: context.channelId, userId: context.userId,
    ...(context.threadTs ? { threadTs: context.threadTs } : {}),
  });
  if (!run) return reply('I have not answered you in this conversation yet, so there is nothing to save. Ask me something (or give me a goal), then save it.');
  if (run.status !== 'succeeded') {
    return reply(`Your most recent request ${quote(run.requestText)} did not succeed (${run.status}), so it is not worth replaying. Nothing was saved.`);
  }
  // A goal replays its task graph; a direct answer becomes one task for the specialty that answered it.
  let graph = await store.workflows.planForRun(run.id);
  if (!graph) {
    const agent = run.agentIds[0] ? await store.agents.get(run.agentIds[0]) : null;
    graph = singleTaskPlan(run.requestText, agent?.specialty ?? 'general');
  }
  const saved = await store.workflows.save({
    workspaceId: context.workspaceId, name: args.name, graph, triggers: [run.requestText], sourceRunId: run.id,
    createdBy: context.userId, replace: args.replace, ...(args.description ? { description: args.description } : {}),
  });
  if (!saved.ok) {
    const by = saved.existing.createdBy ? ` by ${context.surface === 'slack' ? `<@${saved.existing.createdBy}>` : saved.existing.createdBy}` : '';
    return reply(`A workflow named \`${args.name}\` already exists (saved${by}, ${usageLine(saved.existing)}). Nothing was saved. ` +
      `Pick another name, or overwrite it with \`/save-workflow ${args.name} --replace\`.`);
  }
  const w = saved.workflow;
  return reply(`${saved.replaced ? 'Replaced' : 'Saved'} workflow \`${w.name}\` (${plural(w.graph.tasks.length, 'task')}: ` +
    `${w.graph.tasks.map((t) => t.specialty).join(' → ')}) from your request ${quote(run.requestText)}. ` +
    `Say \`run workflow ${w.name}\` or ask something similar to replay it without planning.`);
}

/** /workflows, /workflows delete <name>. */
export async function workflowsCommand(store: Store, text: string, context: CommandContext): Promise<CommandReply> {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    const list = await store.workflows.list(context.workspaceId);
    if (list.length === 0) return reply('No workflows yet. Save your most recent request as one with `/save-workflow <name>`.');
    const saved = list.filter((w) => w.kind === 'saved');
    const induced = list.filter((w) => w.kind === 'induced');
    return reply([
      `*Saved workflows (${saved.length})*`, ...(saved.length ? saved.map(workflowLine) : ['none']),
      `*Learned workflows (${induced.length})*`, ...(induced.length ? induced.map(workflowLine) : ['none yet']),
    ].join('\n'));
  }
  if (/^(delete|remove|rm)$/i.test(words[0]!)) {
    // Say what is missing or extra, not just "not understood": the usage below shows the whole shape.
    if (words.length === 1) return usage('workflows', 'Say which workflow to delete: `/workflows delete <name>` (`/workflows` lists the names).');
    if (words.length > 2) return usage('workflows', `Delete one workflow at a time, by its name (names have no spaces): \`/workflows delete <name>\`.`);
    const name = words[1]!.replace(/^[`'"]|[`'"]$/g, '').toLowerCase();
    if (!WORKFLOW_NAME.test(name)) return usage('workflows', `${shown(words[1]!)} is not a workflow name: names are lowercase letters, digits and dashes (\`/workflows\` lists them).`);
    return reply(await store.workflows.remove(context.workspaceId, name)
      ? `Deleted workflow \`${name}\`.` : `There is no workflow named \`${name}\`. See \`/workflows\` for the list.`);
  }
  if (/^(help|-h|--help|\?)$/i.test(words[0]!)) return usage('workflows');
  return usage('workflows', `${shown(`/workflows ${words[0]}`)} is not something I can do: \`/workflows\` lists the workflows, \`/workflows delete <name>\` deletes one.`);
}
