import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Known secret fields are redacted by path, and every configured secret value is
 * scrubbed from any string that is logged (an error message that echoes a token must not leak it).
 */
export function createLogger(options: { level: string; secrets: string[]; destination?: DestinationStream }): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 6);
  const scrub = (value: string) => secrets.reduce((text, secret) => text.split(secret).join('[REDACTED]'), value);
  return pino(
    {
      level: options.level,
      base: { service: 'slack-assistant' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['token', '*.token', 'apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers.authorization',
          'password', '*.password', 'serviceRoleKey', '*.serviceRoleKey', 'signingSecret', '*.signingSecret'],
        censor: '[REDACTED]',
      },
      formatters: secrets.length === 0 ? {} : {
        log: (object) => JSON.parse(scrub(JSON.stringify(object))) as Record<string, unknown>,
      },
      hooks: secrets.length === 0 ? {} : {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
        },
      },
    },
    options.destination,
  );
}
