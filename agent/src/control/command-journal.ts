import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { commandResultSchema, commandTypeSchema } from "../protocol/v1/control";
import { readFileIfExists, writeFileAtomic } from "../config/files";

/**
 * What the agent did with each command, on disk, so that a command runs at most once even when the
 * agent is killed at any point and the console delivers it again:
 *   received — recorded before the ack; not started yet, so safe to run (after a restart too)
 *   running  — started; if found after a restart, it was interrupted and is NOT run again
 *   done     — finished; a redelivery only repeats the ack and the result
 */
export const journalRecordSchema = z.object({
  id: z.string().uuid(),
  type: commandTypeSchema,
  payload: z.record(z.string(), z.unknown()).default({}),
  state: z.enum(["received", "running", "done"]),
  receivedAt: z.string(),
  startedAt: z.string().nullable().default(null),
  finishedAt: z.string().nullable().default(null),
  outcome: z.enum(["succeeded", "failed"]).nullable().default(null),
  result: commandResultSchema.nullable().default(null),
  /** The console has confirmed the result. */
  isReported: z.boolean().default(false),
});
export type JournalRecord = z.infer<typeof journalRecordSchema>;

/** Finished records older than this are forgotten: the console stopped delivering them long ago. */
const KEEP_DONE_MS = 7 * 24 * 3600 * 1000;

export class CommandJournal {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, "commands");
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private file(id: string) {
    if (!z.string().uuid().safeParse(id).success) throw new Error(`not a command id: ${id}`);
    return path.join(this.dir, `${id}.json`);
  }

  get(id: string): JournalRecord | null {
    const text = readFileIfExists(this.file(id));
    if (text === null) return null;
    const parsed = journalRecordSchema.safeParse(JSON.parse(text));
    // An unreadable record is treated as "started": running it again could do it twice.
    if (!parsed.success) throw new Error(`command record ${id} is damaged; it will not be run again`);
    return parsed.data;
  }

  /** Durable when this returns (written, flushed and renamed). */
  put(record: JournalRecord): void {
    writeFileAtomic(this.file(record.id), `${JSON.stringify(record)}\n`, 0o600);
  }

  /** Records not finished with: received or running, or done but not yet reported. */
  unfinished(): JournalRecord[] {
    const records: JournalRecord[] = [];
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith(".json")) continue;
      let record: JournalRecord | null;
      try {
        record = this.get(name.slice(0, -".json".length));
      } catch {
        continue; // damaged: left alone; a redelivery of it is answered as interrupted
      }
      if (record && (record.state !== "done" || !record.isReported)) records.push(record);
    }
    return records.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }

  prune(now = new Date()): void {
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith(".json")) continue;
      let record: JournalRecord | null = null;
      try {
        record = this.get(name.slice(0, -".json".length));
      } catch {
        continue;
      }
      if (record?.state === "done" && record.isReported && now.getTime() - Date.parse(record.finishedAt ?? record.receivedAt) > KEEP_DONE_MS) {
        fs.rmSync(path.join(this.dir, name), { force: true });
      }
    }
  }
}
