import type { Writable } from 'node:stream';
import { progressBar } from '../surface/progress.js';
import type { AnswerStream, Surface } from '../surface/surface.js';

const dim = (text: string, color: boolean) => (color ? `\x1b[2m${text}\x1b[22m` : text);

/**
 * The Surface for the terminal: answers stream straight to stdout as the model writes them; status lines
 * and footers go to the status stream (stderr when stdout is piped, so a pipe carries only answers).
 */
export function createConsoleSurface(out: Writable, status: Writable, options: {
  color: boolean;
  /** Reads the user's next input line (console-chat's reader); 'timeout' when none came in time. Absent: no approvals. */
  ask?: (timeoutMs: number) => Promise<string | undefined | 'timeout'>;
}): Surface {
  const line = (stream: Writable, text: string) => stream.write(`${text}\n`);
  const shownProgress = new Map<string, string>();
  const ask = options.ask;
  return {
    kind: 'console',
    // Side-effecting tools: the exact call, then a y/n answer read as the next input line.
    ...(ask ? {
      async requestApproval(request) {
        line(status, `The assistant wants to run ${request.tool} with:\n${JSON.stringify(request.args ?? {}, null, 2)}`);
        line(status, `Allow it? Type y or n and press Enter (${Math.round(request.timeoutMs / 1000)} s).`);
        const answer = await ask(request.timeoutMs);
        if (answer === 'timeout') {
          line(status, 'No answer in time; it was not run.');
          return 'timeout';
        }
        const approved = /^\s*y(es)?\s*$/i.test(answer ?? '');
        line(status, approved ? 'Approved.' : 'Not approved; it was not run.');
        return approved ? 'approved' : 'denied';
      },
    } satisfies Pick<Surface, 'requestApproval'> : {}),
    async showProgress(progress) {
      // One line per change of state (the terminal has no rate limit, but repeats would be noise).
      const running = progress.tasks.filter((t) => t.state === 'running').map((t) => t.title);
      const text = `[${progress.title}] ${progressBar(progress)}${running.length ? ` · working on: ${running.join(', ')}` : ''}${progress.note ? ` · ${progress.note}` : ''}`;
      if (shownProgress.get(progress.goalId) === text) return;
      shownProgress.set(progress.goalId, text);
      line(status, dim(text, options.color));
    },
    async setStatus(text) {
      line(status, dim(`… ${text}`, options.color));
    },
    async startAnswer(): Promise<AnswerStream> {
      let written = '';
      return {
        async append(markdown) {
          written += markdown;
          out.write(markdown);
        },
        async finish(finalMarkdown, context) {
          // The final text may carry what the stream held back (notices, the buffered tail): print the rest.
          out.write(finalMarkdown.startsWith(written) ? finalMarkdown.slice(written.length) : `\n${finalMarkdown}`);
          out.write('\n');
          if (context?.footer) line(status, dim(`  — ${context.footer}`, options.color));
          return { delivered: true };
        },
        async abort(notice) {
          if (written) out.write('\n');
          line(out, notice);
        },
      };
    },
    async notify(text) {
      line(out, text);
    },
  };
}
