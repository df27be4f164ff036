import type { MessagePort } from "node:worker_threads";
import type { ConsistencyReport, TransferNote } from "./file-frames";

/** Messages between the receiver's main thread and its writer (write-worker.ts). */
export interface WriterInput {
  outDir: string;
  /** The small-file helper thread (write-helper.ts), when there is one. */
  helperPort?: MessagePort;
  helperDone?: SharedArrayBuffer;
  /** Flush data and append the manifest after this many bytes (receive --checkpoint); default 1 GiB. */
  checkpointBytes?: number;
  /** The receiver's performance.timeOrigin: FERRY_TRACE times are counted from it. */
  traceOrigin?: number;
  /** Started ahead of a session (kept ready): it creates no target folder that is not there. */
  isSpare?: boolean;
}

/** What a session tells its writer, which may have been started (and read the manifest) before. */
export interface WriterSession {
  isSync: boolean;
  excludes: string[];
  sourceLabel: string;
}

export type WriterRequest =
  | { t: "index"; session: WriterSession }
  | { t: "batch"; payload: Uint8Array; flags: number; rawLength: number; checksum: number }
  | { t: "chunk"; fileId: number; offset: number; data: Uint8Array }
  | { t: "fileEnd"; fileId: number; isOk: boolean; isVanished: boolean; hash: Uint8Array; expectedHash?: string }
  | { t: "delta"; fileId: number; data: Uint8Array }
  | { t: "finishRound"; round: number; notes: TransferNote[] }
  | { t: "complete" }
  | { t: "salvage" }
  /** Close every descriptor before the thread is stopped: a thread's descriptors outlive it. */
  | { t: "close" };

export type WriterReply =
  /** isStale: the folder or manifest this writer holds open is no longer at its path; start another. */
  | { t: "index"; index: ArrayBuffer; knownEntries: number; isRoot: boolean; isStale?: boolean }
  /** buffer: the moved buffer of a batch or chunk, given back for the next payload. */
  | { t: "consumed"; bytes: number; buffer?: ArrayBuffer }
  | { t: "signature"; fileId: number; signature: Uint8Array | null }
  | { t: "report"; report: ConsistencyReport; resend: string[]; bytesWritten: number; entriesWritten: number; foldersProven: number }
  | { t: "completed" }
  | { t: "salvaged" }
  | { t: "closed" }
  | { t: "failed"; message: string; isUserError: boolean };
