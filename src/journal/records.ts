import type { FinishRunInput, ServingRecord, StartRunInput, StepInput } from '../store/runs.js';

/**
 * One run-log write kept in the journal while the database is unreachable: a JSON line with its own id (a step's
 * idempotency key on replay), the run it belongs to, and the time it happened (the run log gets the outage-time
 * timestamps, not the replay's). `v` versions the line format.
 */
export type JournalRecord = { v: 1; id: string; at: string; runId: string } & (
  | { type: 'start'; start: StartRunInput }
  | { type: 'serving'; serving: ServingRecord }
  | { type: 'step'; step: StepInput }
  | { type: 'finish'; finish: FinishRunInput }
  | { type: 'answer'; text: string }
);

export type JournalRecordType = JournalRecord['type'];

const TYPES: ReadonlySet<string> = new Set(['start', 'serving', 'step', 'finish', 'answer']);

/** A parsed line, or null when it is not a record this version wrote (a torn last line after a crash, corruption). */
export function parseRecord(line: string): JournalRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (r.v !== 1 || typeof r.id !== 'string' || typeof r.at !== 'string' || typeof r.runId !== 'string' || !TYPES.has(String(r.type))) return null;
  return value as JournalRecord;
}
