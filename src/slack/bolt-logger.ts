import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../ops/logger.js';

/** Bolt's Logger interface on top of our pino logger, so Bolt's own lines are structured JSON too. */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  const text = (parts: unknown[]) => parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? p.message : JSON.stringify(p))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...parts: unknown[]) => child.debug(text(parts)),
    info: (...parts: unknown[]) => child.info(text(parts)),
    warn: (...parts: unknown[]) => child.warn(text(parts)),
    error: (...parts: unknown[]) => child.error(text(parts)),
    setLevel: (next: LogLevel) => { level = next; },
    getLevel: () => level,
    setName: () => {},
  };
}
