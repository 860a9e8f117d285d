import { pino, type DestinationStream, type Logger } from 'pino';
import { runContext } from './run-context.js';

export type { Logger };

/**
 * Structured JSON logs. Known secret fields are redacted by path, and every configured secret value is
 * scrubbed from each finished log line, wherever it hides (an error message or stack that echoes a token,
 * a nested field, a child logger's bindings).
 */
export function createLogger(options: { level: string; secrets: string[]; destination?: DestinationStream }): Logger {
  const destination = options.destination ?? pino.destination(1);
  // Match both the raw value and its JSON-escaped form, as it appears inside a serialized line.
  const needles = [...new Set(options.secrets.filter((s) => s.length >= 6).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  const scrubbing: DestinationStream = needles.length === 0 ? destination : {
    write(line: string) {
      destination.write(needles.reduce((text, secret) => text.split(secret).join('[REDACTED]'), line));
    },
  };
  return pino(
    {
      level: options.level,
      base: { service: 'slack-assistant' },
      // Every line written while a run is handled carries its runId (see run-context.ts).
      mixin: () => {
        const run = runContext.getStore();
        return run ? { runId: run.runId } : {};
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
