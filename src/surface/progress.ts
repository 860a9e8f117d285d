import type { GoalProgress } from './surface.js';

const ICONS: Record<GoalProgress['tasks'][number]['state'], string> = {
  pending: '◻️', running: '⏳', succeeded: '✅', failed: '❌', blocked: '⛔', cancelled: '🚫', skipped: '⏭️',
};

/** "▓▓▓░░ 3/5": finished tasks (whatever their outcome) over all tasks. */
export function progressBar(progress: GoalProgress, width = 10): string {
  const total = progress.tasks.length;
  const finished = progress.tasks.filter((t) => t.state !== 'pending' && t.state !== 'running').length;
  const filled = total === 0 ? 0 : Math.round((finished / total) * width);
  return `${'▓'.repeat(filled)}${'░'.repeat(width - filled)} ${finished}/${total}`;
}

/** The progress text shared by Slack (mrkdwn) and the console. */
export function progressLines(progress: GoalProgress): string[] {
  const seconds = Math.round(progress.elapsedMs / 1000);
  return [
    `*${progress.title}* — ${progressBar(progress)} · ${seconds} s${progress.note ? ` · ${progress.note}` : ''}`,
    ...progress.tasks.map((t) => `${ICONS[t.state]} ${t.title}${t.state === 'running' ? ' _(working)_' : ''}`),
  ];
}
