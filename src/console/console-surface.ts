import type { Writable } from 'node:stream';
import { progressBar } from '../surface/progress.js';
import type { AnswerStream, Surface } from '../surface/surface.js';
import { holdTerminalLogs } from './terminal-log-gate.js';
import { renderForTerminal, StreamingMarkup } from './terminal-markup.js';

const dim = (text: string, color: boolean) => (color ? `\x1b[2m${text}\x1b[22m` : text);

export interface ConsoleSurface extends Surface {
  /** The turn is over (answered or failed): anything still open is closed, held log lines come out. */
  endTurn(): void;
}

/**
 * The Surface for the terminal: answers stream to stdout line by line as the model writes them, rendered for
 * a terminal (see terminal-markup.ts); status lines and footers go to the status stream (stderr when stdout
 * is piped, so a pipe carries only answers). While an answer is open, terminal log lines wait (see
 * terminal-log-gate.ts).
 */
export function createConsoleSurface(out: Writable, status: Writable, options: {
  color: boolean;
  /** Reads the user's next input line (console-chat's reader); 'timeout' when none came in time. Absent: no approvals. */
  ask?: (timeoutMs: number) => Promise<string | undefined | 'timeout'>;
}): ConsoleSurface {
  const line = (stream: Writable, text: string) => stream.write(`${text}\n`);
  const render = (text: string) => renderForTerminal(text, options.color);
  // Status lines are dimmed as a whole, so their own markup is only stripped.
  const plain = (text: string) => renderForTerminal(text, false);
  const releases = new Set<() => void>();
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
      const text = plain(`[${progress.title}] ${progressBar(progress)}${running.length ? ` · working on: ${running.join(', ')}` : ''}${progress.note ? ` · ${progress.note}` : ''}`);
      if (shownProgress.get(progress.goalId) === text) return;
      shownProgress.set(progress.goalId, text);
      line(status, dim(text, options.color));
    },
    async setStatus(text) {
      line(status, dim(`… ${plain(text)}`, options.color));
    },
    async startAnswer(): Promise<AnswerStream> {
      let written = '';
      const markup = new StreamingMarkup(options.color);
      const release = holdTerminalLogs();
      releases.add(release);
      const close = () => { release(); releases.delete(release); };
      return {
        async append(markdown) {
          written += markdown;
          const lines = markup.push(markdown);
          if (lines) out.write(lines);
        },
        async finish(finalMarkdown, context) {
          // The final text may carry what the stream held back (notices, the buffered tail): print the rest.
          if (finalMarkdown.startsWith(written)) {
            out.write(`${markup.push(finalMarkdown.slice(written.length))}${markup.end()}\n`);
          } else {
            // The final text differs from what streamed (e.g. cleaned up): end the partial line, print it whole.
            const rest = markup.end();
            out.write(`${rest ? `${rest}\n` : ''}${render(finalMarkdown)}\n`);
          }
          close();
          if (context?.footer) line(status, dim(`  — ${plain(context.footer)}`, options.color));
          return { delivered: true };
        },
        async abort(notice) {
          // Streamed lines came out whole; only a partial last line needs ending before the notice.
          const rest = markup.end();
          if (rest) out.write(`${rest}\n`);
          line(out, render(notice));
          close();
        },
      };
    },
    async notify(text) {
      line(out, render(text));
    },
    endTurn() {
      for (const release of releases) release();
      releases.clear();
    },
  };
}
