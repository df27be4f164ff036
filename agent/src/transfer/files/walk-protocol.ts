import type { MessagePort } from "node:worker_threads";

/** First string of the sender's hash cache file; another value means another format. */
export const CACHE_MAGIC = "ferry-files-cache-7";

/** Messages between the sender's main thread and its walker (walk-worker.ts). */
export interface WalkerInput {
  /** Absolute path of the source folder, latin1. */
  root: string;
  excludes: string[];
  /** Where the target's index (meta + facts records from READY) comes, once, while the walk runs. */
  /** Where the target's index comes (an IndexMessage), when the receiver sent it. */
  indexPort: MessagePort;
  /** The sender's hash cache from its last verified send of this folder. */
  cache: ArrayBuffer | null;
  /** Int32[0] = batches posted and not yet sent; the walker waits at maxInflight. */
  inflight: SharedArrayBuffer;
  maxInflight: number;
  batchBytes: number;
  /** Files up to this size travel inside batches; larger ones are streamed in cells. */
  inlineMax: number;
  /** The main thread's performance.timeOrigin, so FERRY_TRACE times of both threads line up. */
  traceOrigin: number;
}

export interface WalkStats {
  entries: number;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  specials: number;
  /** Sum of regular files' sizes. */
  bytes: number;
  put: number;
  meta: number;
  keep: number;
  inlineBytes: number;
  chunkedBytes: number;
  copied: number;
  /** Large files sent as a delta against the target's version. */
  deltas: number;
  /** Folders whose children were decided from their listing's fingerprint, with no lookup per child (walk-worker.ts keepFolder). */
  foldersByFingerprint: number;
  /** Of those, folders the target's digest showed to hold exactly the cached records. */
  foldersByDigest: number;
  /** Folders sent as one KEEP_FOLDER record instead of a KEEP per unchanged child. */
  keptFolders: number;
}

export interface LargeFile {
  path: string;
  fileId: number;
  size: number;
  isSparse: boolean;
  /** The target holds another version: its signature comes back and a delta goes out. */
  isDelta: boolean;
}

export type WalkerMessage =
  | { t: "batch"; buf: ArrayBuffer; offset: number; length: number; count: number; large?: LargeFile }
  | { t: "note"; kind: "skipped" | "vanished" | "changed" | "error"; path: string; text: string }
  | { t: "done"; stats: WalkStats; cache: ArrayBuffer }
  | { t: "resent" }
  | { t: "failed"; message: string };

/** The target's index: bytes [offset, offset + length) of a buffer moved to the walker. */
export interface IndexMessage {
  buffer: ArrayBuffer;
  offset: number;
  length: number;
}
