import zlib from "node:zlib";
import os from "node:os";
import { MessageChannel, type Worker } from "node:worker_threads";
import { FrameChannel } from "../frame-channel";
import { FrameFlag, FrameType, controlFrame, crc32, parseControlPayload, type Frame } from "../frames";
import { BufWriter } from "./entry-codec";
import { FileFrame, FILES_PROTOCOL_VERSION, fileEndSchema, filesHelloSchema, formatReport, roundEndSchema, type ConsistencyReport } from "./file-frames";
import { assertSameProtocol } from "../protocol-version";
import { CELL_BYTES, cellHash, cellLength, fileHashFromCells, smallFileHash, zeroCellHash } from "./file-hash";
import { startWorker } from "./start-worker";
import type { WriterInput, WriterReply, WriterRequest, WriterSession } from "./write-protocol";

const trace = process.env.FERRY_TRACE ? (what: string) => process.stderr.write(`trace recv ${performance.now().toFixed(0)} ${what}\n`) : () => undefined;

/** Bytes handed to the writer and not yet written; above this the socket is left unread. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

export interface FilesReceipt {
  report: ConsistencyReport;
  bytesWritten: number;
  entriesWritten: number;
  /** Folders the writer found exactly as its manifest records them, at the session's start (write-worker.ts provenFolders). */
  foldersProven: number;
}

export interface FileSessionResult {
  isOk: boolean;
  files?: FilesReceipt;
  error?: string;
}

/**
 * Two threads make small files where the cores allow. On two cores (the file benchmark, both ends
 * on one machine) handing files over cost more than it saved: 5.6-6.0 s for the full pass without
 * the helper, 7.6-7.9 s with it. FERRY_WRITE_HELPER=on|off overrides (tests use it).
 */
function hasWriteHelper(): boolean {
  const forced = process.env.FERRY_WRITE_HELPER;
  if (forced === "on" || forced === "off") return forced === "on";
  return os.availableParallelism() > 2;
}

/** The writer thread, as requests and awaited replies. */
class Writer {
  private readonly worker: Worker;
  private readonly replies: WriterReply[] = [];
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;
  queuedBytes = 0;
  /** The writer read the target's copy of a file coming as a delta: its signature goes to the sender. */
  onSignature: ((m: Extract<WriterReply, { t: "signature" }>) => void) | null = null;

  private readonly helper: Worker | null;

  constructor(input: WriterInput) {
    if (hasWriteHelper()) {
      const channel = new MessageChannel();
      const done = new SharedArrayBuffer(4);
      this.helper = startWorker(new URL("./write-helper.ts", import.meta.url), "write-helper", { workerData: { port: channel.port2, done }, transferList: [channel.port2] });
      this.helper.on("error", (e) => {
        this.failure ??= e;
        this.waiter?.();
      });
      input = { ...input, helperPort: channel.port1, helperDone: done };
      this.worker = startWorker(new URL("./write-worker.ts", import.meta.url), "write", { workerData: input, transferList: [channel.port1] });
    } else {
      this.helper = null;
      this.worker = startWorker(new URL("./write-worker.ts", import.meta.url), "write", { workerData: input });
    }
    this.worker.on("message", (m: WriterReply) => {
      if (m.t === "consumed") {
        this.queuedBytes -= m.bytes;
        if (m.buffer) giveBack(m.buffer);
      }
      else if (m.t === "signature") this.onSignature?.(m);
      else if (m.t === "failed") this.failure ??= Object.assign(new Error(m.message), { isUserError: m.isUserError });
      else this.replies.push(m);
      this.waiter?.();
    });
    this.worker.on("error", (e) => {
      this.failure ??= e;
      this.waiter?.();
    });
    // Nothing may wait for a reply from a thread that is gone.
    this.worker.on("exit", () => {
      this.failure ??= new Error("the writer thread stopped");
      this.waiter?.();
    });
  }

  /** Posts a request; buffers in `moved` go to the writer and are unusable here afterwards. */
  post(m: WriterRequest, bytes = 0, moved: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.queuedBytes += bytes;
    this.worker.postMessage(m, moved);
  }

  private async wait(): Promise<void> {
    await new Promise<void>((r) => (this.waiter = r));
    this.waiter = null;
  }

  async reply<T extends WriterReply["t"]>(t: T): Promise<Extract<WriterReply, { t: T }>> {
    for (;;) {
      if (this.failure) throw this.failure;
      const i = this.replies.findIndex((r) => r.t === t);
      if (i >= 0) return this.replies.splice(i, 1)[0] as Extract<WriterReply, { t: T }>;
      await this.wait();
    }
  }

  async belowLimit(): Promise<void> {
    while (this.queuedBytes > MAX_QUEUED_BYTES && !this.failure) await this.wait();
    if (this.failure) throw this.failure;
  }

  unref(): void {
    this.worker.unref();
    this.helper?.unref();
  }

  /**
   * Has the writer close its files and folder handles, then stops both threads: descriptors
   * belong to the process, so a stopped thread's would stay open for the receiver's lifetime.
   */
  async terminate(): Promise<number> {
    if (!this.failure) {
      try {
        this.worker.postMessage({ t: "close" } satisfies WriterRequest);
        await this.reply("closed");
      } catch {
        // the writer failed: nothing more to ask of it
      }
    }
    await this.helper?.terminate();
    return this.worker.terminate();
  }
}

/**
 * Buffers the writer gave back after use, by capacity (powers of two): a fresh buffer per payload
 * cost a page fault per 4 KiB written into it, about as much as the copy itself.
 */
const POOL_MAX_BYTES = 96 * 1024 * 1024;
const freeBuffers = new Map<number, ArrayBuffer[]>();
let pooledBytes = 0;

function capacityFor(n: number): number {
  return Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
}

function giveBack(buffer: ArrayBuffer): void {
  const capacity = buffer.byteLength;
  if (capacity !== capacityFor(capacity) || pooledBytes + capacity > POOL_MAX_BYTES) return;
  const list = freeBuffers.get(capacity) ?? [];
  list.push(buffer);
  freeBuffers.set(capacity, list);
  pooledBytes += capacity;
}

/**
 * Copies a payload into a buffer of its own, to be moved (transferred) to the writer thread:
 * frames may be pooled or views of socket reads. A plain copy, not shared memory: V8 copies into
 * a SharedArrayBuffer with a slow byte-safe memmove.
 */
function movable(payload: Buffer): Uint8Array {
  const capacity = capacityFor(payload.length);
  const reused = freeBuffers.get(capacity)?.pop();
  if (reused) pooledBytes -= capacity;
  const out = new Uint8Array(reused ?? new ArrayBuffer(capacity), 0, payload.length);
  out.set(payload);
  return out;
}

/**
 * A round's paths to send again, as many as fit in maxBytes: the next round asks for the rest.
 * (Written when a control frame held at most 64 MiB; they now go in parts, so this only bounds
 * one report.)
 */
export function encodeResendList(paths: readonly string[], maxBytes = 32 * 1024 * 1024): Buffer {
  const list = new BufWriter(64 * 1024);
  for (const p of paths) {
    if (list.length + 4 + p.length > maxBytes) break;
    list.str(p);
  }
  return list.result();
}

/** Target folders a session is writing to now, and writers kept ready for the next session. */
const busyTargets = new Set<string>();
const spareWriters = new Map<string, Writer>();

type IndexReply = Extract<WriterReply, { t: "index" }>;

async function askIndex(writer: Writer, session: WriterSession): Promise<IndexReply> {
  writer.post({ t: "index", session });
  return writer.reply("index");
}

/**
 * The session's writer and the index it made: the one kept ready for this folder when it still
 * holds the folder and manifest found there now, else a new one. A writer kept ready that failed
 * to start (the folder was removed as it started) is replaced the same way.
 */
async function writerWithIndex(input: WriterInput, session: WriterSession): Promise<{ writer: Writer; index: IndexReply }> {
  const spare = spareWriters.get(input.outDir);
  spareWriters.delete(input.outDir);
  if (spare) {
    const index = await askIndex(spare, session).catch(() => null);
    if (index && !index.isStale) return { writer: spare, index };
    await spare.terminate();
  }
  const writer = new Writer(input);
  return { writer, index: await askIndex(writer, session) };
}

/**
 * Stops the writers kept ready for folders at or below dir: each holds its folder open, so a
 * filesystem mounted there cannot be unmounted while it lives. A later session starts a new one.
 */
export async function releaseSpareWriters(dir: string): Promise<number> {
  const below = [...spareWriters].filter(([outDir]) => outDir === dir || outDir.startsWith(`${dir}/`));
  for (const [outDir] of below) spareWriters.delete(outDir);
  await Promise.all(below.map(([, writer]) => writer.terminate()));
  return below.length;
}

/**
 * The next session into the same folder finds a writer already started, its manifest read and
 * its index made: a rerun (--sync, resume) gets its answer at once. It holds no lock and writes
 * nothing until a session uses it; it does not keep the process alive.
 */
function keepWriterReady(input: WriterInput): void {
  if (spareWriters.has(input.outDir)) return;
  const w = new Writer({ ...input, isSpare: true });
  w.unref();
  spareWriters.set(input.outDir, w);
}

/**
 * One file-level session, after its FILES_HELLO: the writer thread applies what comes, large
 * files' cells are hashed as they arrive and a file is renamed into place only when
 * its hash matches the sender's.
 */
export async function receiveFileSession(
  channel: FrameChannel,
  helloFrame: Frame,
  options: { outDir: string; log: (l: string) => void; checkpointBytes?: number; indexPartBytes?: number },
): Promise<FileSessionResult> {
  const log = options.log;
  let writer: Writer | null = null;
  let lastReceipt: FilesReceipt | null = null;
  let isBusy = false;
  try {
    return await runFileSession();
  } finally {
    if (isBusy) {
      busyTargets.delete(options.outDir);
      keepWriterReady({ outDir: options.outDir, checkpointBytes: options.checkpointBytes, traceOrigin: performance.timeOrigin });
    }
  }

  async function runFileSession(): Promise<FileSessionResult> {
    try {
      const body = parseControlPayload(helloFrame.payload).body;
      assertSameProtocol(body, FILES_PROTOCOL_VERSION, "file");
      const hello = filesHelloSchema.parse(body);
      if (busyTargets.has(options.outDir)) throw new Error(`another file session is writing to ${options.outDir}`);
      busyTargets.add(options.outDir);
      isBusy = true;
      const input: WriterInput = { outDir: options.outDir, checkpointBytes: options.checkpointBytes, traceOrigin: performance.timeOrigin };
      const session = { isSync: hello.isSync, excludes: hello.excludes, sourceLabel: hello.sourceLabel };
      trace("hello");
      const taken = await writerWithIndex(input, session);
      writer = taken.writer;
      const index = taken.index;
      trace("index");
      log(`files from ${hello.sourceLabel}: into ${options.outDir}${index.knownEntries ? `, ${index.knownEntries} entries already in place` : ""}${hello.isSync ? " (sync)" : ""}`);
      // The index of a large tree goes in parts (frames.ts CONTINUED): about 110 bytes per entry.
      await channel.send(controlFrame(FileFrame.ready, { knownEntries: index.knownEntries, isRoot: index.isRoot }, Buffer.from(index.index), options.indexPartBytes));
      const deltaFiles = new Set<number>();
      writer.onSignature = (m) => {
        if (m.signature) deltaFiles.add(m.fileId);
        const blob = m.signature ? Buffer.from(m.signature.buffer, m.signature.byteOffset, m.signature.byteLength) : undefined;
        channel.write(controlFrame(FileFrame.signature, { fileId: m.fileId, isAvailable: !!m.signature }, blob));
      };
      const cells = new Map<number, Map<number, Buffer>>();
      /** Per streamed file, the whole-file hash of its first cell, in case it is its only one. */
      const firstCells = new Map<number, Buffer>();
      let isCorrupt = new Set<number>();
      for (;;) {
        await writer.belowLimit();
        const f = await channel.next();
        switch (f.type) {
          case FileFrame.batch:
            const payload = movable(f.payload);
            writer.post({ t: "batch", payload, flags: f.flags, rawLength: f.rawLength, checksum: f.checksum }, payload.length, [payload.buffer as ArrayBuffer]);
            f.release?.();
            break;
          case FileFrame.chunk: {
            let raw: Buffer;
            try {
              raw = f.flags & FrameFlag.deflated ? zlib.inflateRawSync(f.payload) : f.payload;
            } catch {
              raw = Buffer.alloc(0);
            }
            if (raw.length !== f.rawLength || crc32([raw]) !== f.checksum || f.offset % CELL_BYTES !== 0) {
              isCorrupt.add(f.seq);
              f.release?.();
              break;
            }
            const data = movable(raw);
            f.release?.();
            const perFile = cells.get(f.seq) ?? new Map<number, Buffer>();
            cells.set(f.seq, perFile);
            // A file of one cell hashes whole (smallFileHash); keep both until its size is known.
            if (f.offset === 0) firstCells.set(f.seq, smallFileHash(data));
            if (f.offset !== 0 || data.length === CELL_BYTES) perFile.set(f.offset / CELL_BYTES, cellHash(data));
            writer.post({ t: "chunk", fileId: f.seq, offset: f.offset, data }, data.length, [data.buffer as ArrayBuffer]);
            break;
          }
          case FileFrame.delta: {
            let raw: Buffer;
            try {
              raw = f.flags & FrameFlag.deflated ? zlib.inflateRawSync(f.payload) : f.payload;
            } catch {
              raw = Buffer.alloc(0);
            }
            if (raw.length !== f.rawLength || crc32([raw]) !== f.checksum) {
              isCorrupt.add(f.seq);
              f.release?.();
              break;
            }
            const data = movable(raw);
            f.release?.();
            writer.post({ t: "delta", fileId: f.seq, data }, data.length, [data.buffer as ArrayBuffer]);
            break;
          }
          case FileFrame.fileEnd: {
            const end = fileEndSchema.parse(parseControlPayload(f.payload).body);
            if (deltaFiles.delete(f.seq)) {
              // Rebuilt from the target's old copy and literals: the writer hashes what it wrote.
              const isOk = !end.isVanished && !isCorrupt.delete(f.seq);
              writer.post({ t: "fileEnd", fileId: f.seq, isOk, isVanished: end.isVanished, hash: Buffer.alloc(0), expectedHash: end.hash });
              break;
            }
            const perFile = cells.get(f.seq) ?? new Map<number, Buffer>();
            cells.delete(f.seq);
            let isOk = false;
            let hash: Buffer = Buffer.alloc(0);
            if (!end.isVanished && !isCorrupt.has(f.seq)) {
              const count = Math.max(1, Math.ceil(end.size / CELL_BYTES));
              const hashes: Buffer[] = [];
              if (end.size <= CELL_BYTES) hash = firstCells.get(f.seq) ?? smallFileHash(Buffer.alloc(end.size));
              else {
                for (let i = 0; i < count; i++) hashes.push(perFile.get(i) ?? zeroCellHash(cellLength(end.size, i)));
                hash = fileHashFromCells(end.size, hashes);
              }
              isOk = hash.toString("hex") === end.hash;
            }
            isCorrupt.delete(f.seq);
            firstCells.delete(f.seq);
            writer.post({ t: "fileEnd", fileId: f.seq, isOk, isVanished: end.isVanished, hash });
            break;
          }
          case FileFrame.roundEnd: {
            const body = roundEndSchema.parse(parseControlPayload(f.payload).body);
            trace("round end");
            writer.post({ t: "finishRound", round: body.round, notes: body.notes });
            const r = await writer.reply("report");
            trace("report");
            isCorrupt = new Set();
            log(formatReport(r.report));
            await channel.send(controlFrame(FileFrame.report, r.report, encodeResendList(r.resend)));
            lastReceipt = { report: r.report, bytesWritten: r.bytesWritten, entriesWritten: r.entriesWritten, foldersProven: r.foldersProven };
            break;
          }
          case FileFrame.verified: {
            writer.post({ t: "complete" });
            await writer.reply("completed");
            await channel.send(controlFrame(FileFrame.done, {}));
            break;
          }
          case FrameType.bye:
            await channel.end();
            await writer.terminate();
            if (!lastReceipt) return { isOk: false, error: "the sender ended the session before verification" };
            return { isOk: lastReceipt.report.isVerified, files: lastReceipt };
          default:
            throw new Error(`unexpected frame type ${f.type} in a file session`);
        }
      }
    } catch (error) {
      const message = (error as Error).message;
      if (writer) {
        // Keep what was written, durably, so a rerun resumes from it.
        try {
          writer.post({ t: "salvage" });
          await writer.reply("salvaged");
        } catch {
          // the writer itself failed; its manifest holds what was durable before
        }
        await writer.terminate();
      }
      if (!channel.isClosed) {
        await channel.send(controlFrame(FrameType.error, { message: message.split("\n")[0] })).catch(() => undefined);
        await channel.end();
      }
      log(`file session ended without verification: ${message.split("\n")[0]}`);
      return { isOk: false, error: message };
    }
  }
}
