import type { DestinationStream } from 'pino';

/**
 * Log lines bound for the terminal the chat is on (LOG_FORMAT=pretty in the console) wait while an answer is
 * being printed and come out right after it, so a warning never lands inside a streamed answer. Process-wide,
 * like the terminal itself: the console surface holds it, main.ts routes the log stream through it.
 */
let holds = 0;
let waiting: Array<{ sink: DestinationStream; line: string }> = [];
/** Past this many held lines (a runaway loop during one answer) the oldest are dropped, and that is said. */
const MAX_WAITING = 1000;
let dropped = 0;

/** Holds terminal log lines until the returned function is called (once; later calls do nothing). */
export function holdTerminalLogs(): () => void {
  holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
    if (holds === 0) flush();
  };
}

/** A log destination that writes to `sink`, except while an answer holds the terminal. */
export function gatedLogStream(sink: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      if (holds === 0) {
        sink.write(line);
        return;
      }
      if (waiting.length >= MAX_WAITING) {
        waiting.shift();
        dropped++;
      }
      waiting.push({ sink, line });
    },
  };
}

function flush(): void {
  const lines = waiting;
  waiting = [];
  if (dropped > 0 && lines[0]) lines[0].sink.write(`(${dropped} earlier log lines were dropped while an answer was printed)\n`);
  dropped = 0;
  for (const { sink, line } of lines) sink.write(line);
}
