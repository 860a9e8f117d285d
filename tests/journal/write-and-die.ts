// A process that answers through an outage and dies without closing its journal: `tsx write-and-die.ts <dir>`.
// It journals 3 finished conversations and 1 still running, then writes half a record (as a kill mid-write would
// leave it) and exits at once: its slot lock names a dead pid, its segment ends in a torn line.
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { downJournal, journalConversation } from './journal-fixtures.js';

const dir = process.argv[2]!;
const { files, runs } = downJournal({ dir, maxBytes: 10 * 1024 * 1024, maxAgeMs: 3_600_000 }, pino({ level: 'silent' }));
for (let i = 1; i <= 3; i++) await journalConversation(runs, i);
const running = await journalConversation(runs, 4, { finish: false });
const slot = files.slotDir!;
const segment = readdirSync(slot).filter((f) => f.startsWith('seg-')).sort().at(-1)!;
appendFileSync(join(slot, segment), JSON.stringify({ v: 1, id: 'torn', at: new Date().toISOString(), runId: running, type: 'finish' }).slice(0, 40));
process.stdout.write(JSON.stringify({ slot, running }));
process.exit(0);
