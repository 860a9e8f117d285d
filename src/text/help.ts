/**
 * What the bot does, its commands, how to give feedback, and where learned things show — answered without a
 * model (`/improver help`, or "help" said to the bot). Without the learning loop it promises no learning.
 */
export function helpText(options: { learning: boolean }): string {
  return [
    '*Improver* answers your questions with the specialist that fits, and breaks bigger goals ("plan: …") into tasks run by several.',
    '• Ask in a DM, mention me in a channel, or open me in the Assistant panel. Follow-ups in the thread stay with the same specialist.',
    '• Rate an answer with 👍 / 👎 under it, or `/better [1-5] [what should be better]`. Saying "that\'s wrong" in the thread counts too.',
    '• `/save-workflow <name>` saves your last request for replay; `/workflows` lists saved and learned workflows.',
    '• `/metrics [24h|7d|30d|all] [agent]` shows runs, success, latency, cost, budgets and what the analysts found.',
    ...(options.learning ? ['• `/metrics improvements` shows every change I tried on myself (a cheaper model, a revised prompt, a learned workflow), what it did and why it was kept or dropped; the App Home lists what is being tried now.'] : []),
    '*Admins:* `/improver analyze [job|all]` runs the analysts now · `/improver budget set|list|remove …` manages spending budgets' +
      (options.learning ? ' · `/improver experiments|approve|reject|stop` steers the experiments.' : '.'),
  ].join('\n');
}

