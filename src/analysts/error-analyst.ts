import type { AnalystStore, ErrorKnowledge } from '../store/analysts.js';
import type { AdminNotices, AnalystJob, JobContext, JobResult } from './job.js';

/**
 * Recurring errors into the error knowledge base (signature: class + message shape + agent + model, with counts
 * and a recovery strategy whose success rate is measured where it is used, in the orchestrator). A recurring
 * error that nothing fixes is raised once to the admins with its counts and an example run.
 */
export class ErrorAnalyst implements AnalystJob {
  readonly name = 'errors' as const;

  constructor(private readonly deps: {
    store: { analysts: Pick<AnalystStore, 'errors'> }; notices: AdminNotices; escalateAfter: number;
    /** Runs are read once they finished this long ago (default 1 s; tests use 0). */
    settleSeconds?: number;
  }) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const pass = await this.deps.store.analysts.errors(ctx.job, ctx.generation, {
      minOccurrences: this.deps.escalateAfter, ...(this.deps.settleSeconds !== undefined ? { settleSeconds: this.deps.settleSeconds } : {}),
    });
    if (!pass.ok) return { ok: false, rowsRead: 0, findings: 0, proposals: 0, summary: ['another instance took this run over'] };
    for (const known of pass.raise) await this.deps.notices.post(escalation(known)).catch(() => {});
    return {
      rowsRead: pass.rowsRead, findings: pass.signatures, proposals: 0,
      summary: [`${pass.rowsRead} failed run${pass.rowsRead === 1 ? '' : 's'} read; ${pass.signatures} error signature${pass.signatures === 1 ? '' : 's'} updated`,
        ...(pass.raise.length ? [`${pass.raise.length} recurring error${pass.raise.length === 1 ? '' : 's'} with no working recovery raised to admins`] : [])],
      detail: { raised: pass.raise.map((k) => k.signature) },
    };
  }
}

function escalation(k: ErrorKnowledge): string {
  const where = [k.agentId ? `agent \`${k.agentId}\`` : '', k.model ? `model \`${k.model}\`` : ''].filter(Boolean).join(', ');
  const tried = k.recovery && k.recoveryAttempts > 0
    ? `The recovery "${k.recovery.replace('_', ' ')}" worked ${k.recoverySuccesses} of ${k.recoveryAttempts} times.`
    : k.recovery ? `The known remedy ("${k.recovery.replace('_', ' ')}") is not something I can apply by myself.` : 'I know no recovery for it.';
  return [`*Recurring error needs a look:* \`${k.errorClass}\` ×${k.occurrences}${where ? ` (${where})` : ''}.`, tried,
    k.exampleMessage ? `Example: “${k.exampleMessage.slice(0, 200)}”` : '', k.exampleRunId ? `Example run: \`${k.exampleRunId}\`` : ''].filter(Boolean).join('\n');
}
