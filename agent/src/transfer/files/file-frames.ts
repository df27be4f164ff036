import { z } from "zod";
import { FrameType } from "../frames";

/**
 * Frame types of a file-level session, on the same framing, TLS and receiver as block level.
 * A session that opens with FILES_HELLO carries files; the receiver dispatches on it.
 */
export const FileFrame = {
  hello: FrameType.filesHello,
  ready: 33,
  /** Records (and small files' bytes) of many entries; seq = batch number. */
  batch: 34,
  /** One cell of a large file: seq = file id, offset = position in the file. */
  chunk: 35,
  /** A large file's last cell went out: JSON { size, hash, isVanished }. */
  fileEnd: 36,
  /** Every entry of this round was sent: JSON { round, notes }. */
  roundEnd: 37,
  /** The receiver's consistency report: JSON; blob = paths to send again. */
  report: 38,
  verified: 39,
  done: 40,
  /** Delta of a large file: COPY(block of the target's copy) and literal pieces; seq = file id. */
  delta: 41,
  /** Receiver to sender: JSON { fileId, isAvailable }; blob = the signature of the target's copy. */
  signature: 42,
} as const;

/**
 * 2: files of one cell hash with the addon's hash16 (XXH64), not SHA-256.
 * 3: the target's index begins with a digest per folder (walk-index.ts encodeTargetIndex).
 * 4: a large file's cells hash with hash16 too (file-hash.ts), not as block-level chunks.
 * 5: control frames past 16 MiB go in parts (frames.ts CONTINUED): in one frame, the target's
 *    index of about 600,000 entries passed the 64 MiB frame limit.
 */
export const FILES_PROTOCOL_VERSION = 5;

export const filesHelloSchema = z.object({
  protocol: z.literal(FILES_PROTOCOL_VERSION),
  kind: z.literal("files"),
  sourceLabel: z.string().max(8192),
  isSync: z.boolean(),
  excludes: z.array(z.string().max(4096)).max(10_000),
});
export type FilesHello = z.infer<typeof filesHelloSchema>;

export const filesReadySchema = z.object({ knownEntries: z.number().int().nonnegative(), isRoot: z.boolean() });

export const noteSchema = z.object({ kind: z.string(), path: z.string(), text: z.string() });
export type TransferNote = z.infer<typeof noteSchema>;

export const roundEndSchema = z.object({ round: z.number().int().nonnegative(), notes: z.array(noteSchema) });

export const fileEndSchema = z.object({ size: z.number().nonnegative(), hash: z.string(), isVanished: z.boolean() });

export const reportSchema = z.object({
  source: z.string(),
  target: z.string(),
  round: z.number().int(),
  total: z.number().int(),
  different: z.number().int(),
  missing: z.number().int(),
  extra: z.number().int(),
  deleted: z.number().int(),
  differentPaths: z.array(z.string()),
  missingPaths: z.array(z.string()),
  extraPaths: z.array(z.string()),
  notes: z.array(noteSchema),
  isVerified: z.boolean(),
  at: z.string(),
});
export type ConsistencyReport = z.infer<typeof reportSchema>;

/** Lines a person reads: the counts, then up to a few paths of each kind. */
export function formatReport(r: ConsistencyReport): string {
  const lines = [
    `consistency report (round ${r.round + 1}): ${r.total} entries, ${r.different} different, ${r.missing} missing on target, ${r.extra} extra on target${r.deleted ? `, ${r.deleted} deleted` : ""} — ${r.isVerified ? "verified" : "NOT verified"}`,
  ];
  const show = (label: string, list: string[], n: number) => {
    for (const p of list.slice(0, 10)) lines.push(`  ${label}: ${JSON.stringify(p)}`);
    if (n > 10) lines.push(`  ... and ${n - 10} more ${label}`);
  };
  show("different", r.differentPaths, r.different);
  show("missing", r.missingPaths, r.missing);
  show("extra", r.extraPaths, r.extra);
  const byKind = new Map<string, number>();
  for (const n of r.notes) byKind.set(n.kind, (byKind.get(n.kind) ?? 0) + 1);
  for (const n of r.notes.slice(0, 20)) lines.push(`  note (${n.kind}): ${JSON.stringify(n.path)}: ${n.text}`);
  if (r.notes.length > 20) lines.push(`  ... ${r.notes.length - 20} more notes (${[...byKind].map(([k, c]) => `${c} ${k}`).join(", ")})`);
  return lines.join("\n");
}

