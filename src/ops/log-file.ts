import { mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type DestinationStream } from 'pino';

/** Past this size at start, the log is moved to improver.log.1 (replacing the previous one) and begun afresh. */
export const LOG_FILE_MAX_BYTES = 10 * 1024 * 1024;

/**
 * The console's log file, DATA_DIR/logs/improver.log: appended to by every start, so one file tells the story
 * across restarts, and capped by a size check at start (one previous file kept) instead of a rotation daemon.
 * Writes are synchronous: the process exits right after the chat ends, and its last lines matter most.
 * Throws the file system's error (ENOTDIR, EACCES…) when the directory cannot be made or written.
 */
export function openLogFile(dataDir: string, maxBytes = LOG_FILE_MAX_BYTES): { path: string; destination: DestinationStream } {
  const dir = join(dataDir, 'logs');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'improver.log');
  const size = fileSize(path);
  if (size !== undefined && size > maxBytes) renameSync(path, `${path}.1`);
  // Opened here rather than by sonic-boom, which in sync mode swallows an open error: a log that cannot be
  // written is said at start, not discovered later as an empty file.
  const fd = openSync(path, 'a');
  return { path, destination: pino.destination({ dest: fd, sync: true }) };
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
