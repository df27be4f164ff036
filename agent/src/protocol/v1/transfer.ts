import { z } from "zod";

/**
 * Control frame bodies of the block transfer protocol (the JSON part of a control frame; the
 * binary framing is in transfer/frames.ts). Version 3: chunks hash (xxHash) as a tree over 16 KiB windows,
 * DATA frames carry their root, and --sync may send PATCH frames with only the changed windows.
 * Version 4: control frames past 16 MiB go in parts (frames.ts CONTINUED): in one frame, the
 * chunk hashes of a disk with more than 3.2 TiB of data passed the 64 MiB frame limit.
 */
export const BLOCK_PROTOCOL_VERSION = 4;

export const helloSchema = z.object({
  protocol: z.literal(BLOCK_PROTOCOL_VERSION),
  name: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/).refine((n) => n !== "." && n !== "..", "bad disk name"),
  size: z.number().int().nonnegative(),
  chunkBytes: z.number().int().positive().max(16 * 1024 * 1024),
  chunkCount: z.number().int().nonnegative(),
  /** Identifies the source (host, path, size) so a resume never mixes two sources' chunks. */
  sourceId: z.string().min(1).max(200),
  isSync: z.boolean(),
});
export type Hello = z.infer<typeof helloSchema>;

export const readySchema = z.object({
  /** The chunk table sent with READY describes the target: chunks with equal hashes are skipped. */
  isResume: z.boolean(),
  knownChunks: z.number().int().nonnegative(),
  checkpointBytes: z.number().int().positive(),
  /** A speed limit the receiver asks for, in bytes per second (the sender keeps the lower). */
  limitBytesPerSecond: z.number().positive().nullable().optional(),
});
export type Ready = z.infer<typeof readySchema>;

export const ackSchema = z.object({ durableBytes: z.number().nonnegative(), durableChunks: z.number().int().nonnegative() });
export const nackSchema = z.object({ index: z.number().int().nonnegative(), reason: z.string() });
export const endSchema = z.object({ round: z.number().int().nonnegative() });
export const verifiedSchema = z.object({ chunks: z.number().int().nonnegative(), digest: z.string() });
export const errorSchema = z.object({ message: z.string() });
/** Receiver to sender while running: the limit to apply from now on (null lifts it). */
export const limitSchema = z.object({ bytesPerSecond: z.number().positive().nullable() });
