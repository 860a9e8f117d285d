import { pino, type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { runContext } from './run-context.js';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * Structured logs: JSON lines, or the same lines made readable by pino-pretty (`LOG_FORMAT=pretty`). Known
 * secret fields are redacted by path, and every configured secret value is scrubbed from each finished log
 * line, wherever it hides (an error message or stack that echoes a token, a nested field, a child logger's
 * bindings). Pretty-printing happens after the scrub, so it sees only scrubbed lines.
 */
export function createLogger(options: {
  level: string;
  secrets: string[];
  destination?: DestinationStream;
  format?: LogFormat;
  /** Pretty format only: ANSI colours (for a terminal). */
  colorize?: boolean;
}): Logger {
  const destination = options.destination ?? pino.destination(1);
  const formatted = options.format === 'pretty' ? prettyLines(destination, options.colorize ?? false) : destination;
  // Match both the raw value and its JSON-escaped form, as it appears inside a serialized line.
  const needles = [...new Set(options.secrets.filter((s) => s.length >= 6).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  const scrubbing: DestinationStream = needles.length === 0 ? formatted : {
    write(line: string) {
      formatted.write(needles.reduce((text, secret) => text.split(secret).join('[REDACTED]'), line));
    },
  };
  return pino(
    {
      level: options.level,
      base: { service: 'slack-assistant' },
      // Every line written while a run is handled carries its runId (see run-context.ts), once: a child logger
      // made with { runId } already writes it in its bindings, and pino does not merge bindings with the mixin.
      mixin: (_mergeObject, _level, logger) => {
        const run = runContext.getStore();
        if (!run || 'runId' in logger.bindings()) return {};
        return { runId: run.runId };
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['token', '*.token', 'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization',
          'password', '*.password', 'serviceRoleKey', '*.serviceRoleKey', 'signingSecret', '*.signingSecret'],
        censor: '[REDACTED]',
      },
    },
    scrubbing,
  );
}

/**
 * pino-pretty's formatter, applied line by line and synchronously (its stream form is asynchronous, and the
 * app exits right after its last line, which must not be lost).
 */
function prettyLines(destination: DestinationStream, colorize: boolean): DestinationStream {
  const pretty = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' });
  return { write: (line: string) => destination.write(pretty(line)) };
}
