import { z } from "zod";

/** Control frame bodies of the direct-mode transfer protocol (JSON part of a control frame). */
export const PROTOCOL_VERSION = 1;

export const helloSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
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
});
export type Ready = z.infer<typeof readySchema>;

export const ackSchema = z.object({ durableBytes: z.number().nonnegative(), durableChunks: z.number().int().nonnegative() });
export const nackSchema = z.object({ index: z.number().int().nonnegative(), reason: z.string() });
export const endSchema = z.object({ round: z.number().int().nonnegative() });
export const verifiedSchema = z.object({ chunks: z.number().int().nonnegative(), digest: z.string() });
export const errorSchema = z.object({ message: z.string() });
