import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { MessageChannel } from "node:worker_threads";
import { AdaptiveCompressor } from "../adaptive-compressor";
import { FrameChannel } from "../frame-channel";
import { FrameFlag, FrameType, FRAME_HEADER_BYTES, controlFrame, crc32, encodeHeader, parseControlPayload, type Frame } from "../frames";
import { TransferError, type SendProgress } from "../sender";
import { clientTlsOptions, readyCredentials, type TransferCredentials } from "../tls-credentials";
import { TokenBucket } from "../token-bucket";
import { BufReader, BufWriter } from "./entry-codec";
import { FileFrame, FILES_PROTOCOL_VERSION, reportSchema, type ConsistencyReport, type FilesHello, type TransferNote } from "./file-frames";
import { DeltaEncoder, DeltaOp, DELTA_WINDOW_BYTES } from "./delta";
import { CELL_BYTES, cellCount, cellHash, cellLength, fileHashFromCells, smallFileHash, zeroCellHash } from "./file-hash";
import { loadNativeFs } from "./native/native-fs";
import { startWorker } from "./start-worker";
import { TreePaths } from "./tree-paths";
import { fillCacheHashes } from "./walk-index";
import type { IndexMessage, LargeFile, WalkerInput, WalkerMessage, WalkStats } from "./walk-protocol";

const MAX_ROUNDS = 3;
/** FERRY_TRACE=1: phase times on stderr, for tuning. */
const trace = process.env.FERRY_TRACE ? (what: string) => process.stderr.write(`trace send ${performance.now().toFixed(0)} ${what}\n`) : () => undefined;
const READ_AHEAD_CELLS = 4;

export interface FileSendOptions {
  host: string;
  port: number;
  credentials: TransferCredentials;
  /** The folder whose contents the target folder will mirror. */
  root: string;
  excludes?: string[];
  isSync: boolean;
  limitBytesPerSecond?: number;
  compress?: boolean;
  /** Where the hash cache of the last verified send is kept. */
  stateDir: string;
  inlineMax?: number;
  batchBytes?: number;
  /** The delta encoder's window beyond one block, and about the size of its frames (default 4 MiB); tests make it tiny. */
  deltaWindowBytes?: number;
  onProgress?: (p: SendProgress) => void;
  log?: (line: string) => void;
}

export interface FileSendResult {
  stats: WalkStats;
  report: ConsistencyReport;
  notes: TransferNote[];
  rounds: number;
  /** File content bytes put on the link (inline and streamed), before compression. */
  contentBytes: number;
  /** Bytes of frames written, headers and records included, before TLS. */
  wireBytes: number;
  /** Most bytes of file data one delta held at once (read buffers, encoder window, frame being filled); 0 without deltas. */
  deltaPeakBytes: number;
  elapsedMs: number;
}

function describeConnectError(error: Error, host: string, port: number): TransferError {
  if (/alert|handshake|illegal parameter|decrypt|bad record mac|ECONNRESET|socket disconnected/i.test(error.message)) {
    return new TransferError(`the receiver at ${host}:${port} refused the TLS handshake: the token does not match (or it is not a ferry receiver)`);
  }
  return new TransferError(`cannot connect to ${host}:${port}: ${error.message}`);
}

async function connect(options: FileSendOptions): Promise<FrameChannel> {
  await readyCredentials(options.credentials);
  const socket = tls.connect({ host: options.host, port: options.port, ...clientTlsOptions(options.credentials) });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", () => resolve());
    socket.once("error", (e) => reject(describeConnectError(e, options.host, options.port)));
    socket.once("close", () => reject(describeConnectError(new Error("socket disconnected"), options.host, options.port)));
  });
  socket.setNoDelay(true);
  return new FrameChannel(socket);
}

/** Replies from the receiver, and its ERROR frame whenever it comes. */
class Replies {
  fatal: Error | null = null;
  private readonly queue: Frame[] = [];
  private waiter: ((f: Frame | null) => void) | null = null;

  constructor(channel: FrameChannel) {
    void (async () => {
      for (;;) {
        let f: Frame;
        try {
          f = await channel.next();
        } catch (error) {
          return this.fail(new TransferError(`connection to the receiver lost: ${(error as Error).message}`));
        }
        if (f.type === FrameType.error) {
          const body = parseControlPayload(f.payload).body as { message?: string };
          return this.fail(new TransferError(`receiver: ${body?.message ?? "unknown error"}`));
        }
        if (this.waiter) {
          const w = this.waiter;
          this.waiter = null;
          w(f);
        } else this.queue.push(f);
      }
    })();
  }

  private fail(error: Error): void {
    this.fatal ??= error;
    const w = this.waiter;
    this.waiter = null;
    w?.(null);
  }

  async expect(type: number): Promise<Frame> {
    const f = this.queue.shift() ?? (this.fatal ? null : await new Promise<Frame | null>((resolve) => (this.waiter = resolve)));
    if (!f) throw this.fatal!;
    if (f.type !== type) throw new TransferError(`protocol error: expected frame ${type}, got ${f.type}`);
    return f;
  }
}

/**
 * The notes the receiver keeps with its report: the first NOTES_SENT, then one that counts the
 * rest (all of them are in the sender's result and log). The receiver's report keeps no more, so
 * a walk of a tree it cannot read as a whole does not send them all.
 */
const NOTES_SENT = 1000;

export function notesToSend(notes: readonly TransferNote[]): TransferNote[] {
  if (notes.length <= NOTES_SENT) return [...notes];
  return [...notes.slice(0, NOTES_SENT), { kind: "more", path: "", text: `${notes.length - NOTES_SENT} more notes, in the sender's log` }];
}

/**
 * The target's index from READY, to move to the walker: in the frame's own buffer when the
 * frame was joined from parts (a large index: frames.ts gives it a buffer of its own), else a
 * copy (a smaller frame's payload may be pooled or a view of what the socket read).
 */
function indexToMove(ready: Frame): IndexMessage {
  const { blob } = parseControlPayload(ready.payload);
  const p = ready.payload;
  if (ready.isJoined && p.buffer instanceof ArrayBuffer) {
    return { buffer: p.buffer, offset: blob.byteOffset, length: blob.length };
  }
  return { buffer: copyOut(blob), offset: 0, length: blob.length };
}

/** A copy of the bytes in an ArrayBuffer of its own, which can move to another thread. */
function copyOut(bytes: Uint8Array): ArrayBuffer {
  const own = new ArrayBuffer(bytes.length);
  new Uint8Array(own).set(bytes);
  return own;
}

/**
 * The send cache of the last verified send, read into a buffer that moves to the walker (as
 * workerData it would be copied: a cache takes about 140 bytes per entry, 40 MB for 300,000).
 */
async function readCache(file: string): Promise<ArrayBuffer | null> {
  const bytes = await fs.promises.readFile(file).catch(() => null);
  if (!bytes) return null;
  // A whole file read at once has a buffer of its own, not a slice of Node's pool.
  const isOwn = bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer && bytes.buffer.byteLength === bytes.length;
  return isOwn ? (bytes.buffer as ArrayBuffer) : copyOut(bytes);
}

function cachePath(stateDir: string, root: string): string {
  const key = crypto.createHash("sha256").update(`${os.hostname()}\0${root}`).digest("hex").slice(0, 24);
  return path.join(stateDir, `files-${key}.cache`);
}

/**
 * Sends the contents of a folder to a receiver so that its --out folder mirrors it, then has the
 * receiver check every entry and resends what differs; resolves only when the copy is verified.
 */
export async function sendFiles(options: FileSendOptions): Promise<FileSendResult> {
  const started = performance.now();
  const root = await fs.promises.realpath(options.root).catch((e: NodeJS.ErrnoException) => {
    throw new TransferError(`no such folder: ${options.root} (${e.code})`);
  });
  if (!(await fs.promises.stat(root)).isDirectory()) throw new TransferError(`${options.root} is not a folder`);
  loadNativeFs();
  const rootLatin1 = Buffer.from(root, "utf8").toString("latin1");
  trace("start");
  const cacheFile = cachePath(options.stateDir, root);
  const cache = await readCache(cacheFile);

  // The walk starts before the connection, so that loading the walker on its thread and walking
  // overlap the TLS key derivation and the handshake; the target's index follows when READY brings it.
  const indexChannel = new MessageChannel();
  const inflight = new SharedArrayBuffer(4);
  const counter = new Int32Array(inflight);
  const input: WalkerInput = {
    root: rootLatin1,
    excludes: options.excludes ?? [],
    indexPort: indexChannel.port2,
    cache,
    inflight,
    maxInflight: 8,
    batchBytes: options.batchBytes ?? 2 * 1024 * 1024,
    inlineMax: options.inlineMax ?? 1024 * 1024,
    traceOrigin: performance.timeOrigin,
  };
  const walker = startWorker(new URL("./walk-worker.ts", import.meta.url), "walk", { workerData: input, transferList: [indexChannel.port2, ...(cache ? [cache] : [])] });
  const messages: WalkerMessage[] = [];
  let wake: (() => void) | null = null;
  let walkerError: Error | null = null;
  const w = walker;
  w.on("message", (m: WalkerMessage) => {
    messages.push(m);
    wake?.();
  });
  w.on("error", (e) => {
    walkerError = e;
    wake?.();
  });
  const nextMessage = async (): Promise<WalkerMessage> => {
    for (;;) {
      if (walkerError) throw walkerError;
      const m = messages.shift();
      if (m) return m;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  };
  w.postMessage({ t: "start" });
  let channel: FrameChannel;
  try {
    channel = await connect(options);
  } catch (error) {
    await walker.terminate();
    throw error;
  }
  trace("connected");
  const replies = new Replies(channel);
  const limiter = options.limitBytesPerSecond ? new TokenBucket(options.limitBytesPerSecond) : null;
  const compressor = options.compress ? new AdaptiveCompressor() : null;
  const treePaths = new TreePaths(rootLatin1);
  const native = loadNativeFs();
  const notes: TransferNote[] = [];
  const streamedHashes = new Map<string, Buffer>();
  let contentBytes = 0;
  let deltaPeakBytes = 0;
  let batchSeq = 0;
  let walkedBytes = 0;
  let doneBytes = 0;
  let lastProgress = 0;
  const wireStart = channel.bytesWritten;
  const progress = (isFinal: boolean) => {
    const now = performance.now();
    if (!isFinal && now - lastProgress < 100) return;
    lastProgress = now;
    options.onProgress?.({ name: "files", totalBytes: Math.max(walkedBytes, doneBytes), doneBytes, sentBytes: channel.bytesWritten - wireStart, elapsedMs: now - started, isFinal });
  };

  const sendFrame = async (type: number, parts: Buffer[], seq: number, offset: number, mayCompress: boolean) => {
    if (replies.fatal) throw replies.fatal;
    const rawLength = parts.reduce((n, p) => n + p.length, 0);
    const checksum = crc32(parts);
    let wire = parts;
    let flags = 0;
    const deflated = mayCompress && compressor ? compressor.compress(parts, rawLength) : null;
    if (deflated) {
      wire = [deflated];
      flags |= FrameFlag.deflated;
    }
    const wireLength = wire.reduce((n, p) => n + p.length, 0);
    if (limiter) await limiter.take(wireLength + FRAME_HEADER_BYTES);
    const header = encodeHeader({ type, flags, disk: 0, wireLength, offset, rawLength, checksum, seq });
    if (!channel.write([header, ...wire])) await channel.drain();
  };

  /** Streams one large file cell by cell, several reads in flight, hashing each cell as it lands. */
  const streamFile = async (large: LargeFile) => {
    const abs = treePaths.abs(large.path);
    let fd: number;
    try {
      fd = fs.openSync(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      notes.push({ kind: "vanished", path: large.path, text: "vanished before it could be read" });
      await sendFrame(FileFrame.fileEnd, controlFrame(0, { size: large.size, hash: "", isVanished: true }).slice(1), large.fileId, 0, false);
      return;
    }
    try {
      const before = fs.fstatSync(fd, { bigint: true });
      const cells = cellCount(large.size);
      const hasData = new Array<boolean>(cells).fill(true);
      if (large.isSparse) {
        hasData.fill(false);
        let pos = native.seekData(fd, 0, false);
        while (pos >= 0 && pos < large.size) {
          const hole = native.seekData(fd, pos, true);
          const end = hole < 0 ? large.size : Math.min(hole, large.size);
          for (let c = Math.floor(pos / CELL_BYTES); c * CELL_BYTES < end; c++) hasData[c] = true;
          pos = end >= large.size ? -1 : native.seekData(fd, end, false);
        }
      }
      const readCell = (index: number) =>
        new Promise<Buffer>((resolve, reject) => {
          const len = cellLength(large.size, index);
          const buf = Buffer.allocUnsafeSlow(len);
          let got = 0;
          const step = () =>
            fs.read(fd, buf, got, len - got, index * CELL_BYTES + got, (error, n) => {
              if (error) return reject(error);
              got += n;
              if (n === 0 || got === len) return resolve(buf);
              step();
            });
          step();
        });
      const hashes: Buffer[] = [];
      const reads: { index: number; read: Promise<Buffer> }[] = [];
      let next = 0;
      const fill = () => {
        while (reads.length < READ_AHEAD_CELLS && next < cells) {
          const index = next++;
          if (!hasData[index]) {
            hashes[index] = zeroCellHash(cellLength(large.size, index));
            continue;
          }
          reads.push({ index, read: readCell(index) });
        }
      };
      fill();
      while (reads.length > 0) {
        const { index, read } = reads.shift()!;
        const data = await read;
        fill();
        hashes[index] = large.size <= CELL_BYTES ? smallFileHash(data) : cellHash(data);
        await sendFrame(FileFrame.chunk, [data], large.fileId, index * CELL_BYTES, true);
        contentBytes += data.length;
        doneBytes += data.length;
        progress(false);
      }
      const after = fs.fstatSync(fd, { bigint: true });
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs) {
        notes.push({ kind: "changed", path: large.path, text: "changed while it was read; sent as read" });
      }
      const hash = large.size <= CELL_BYTES ? (hasData[0] ? hashes[0]! : smallFileHash(Buffer.alloc(large.size))) : fileHashFromCells(large.size, hashes);
      streamedHashes.set(large.path, hash);
      await sendFrame(FileFrame.fileEnd, controlFrame(0, { size: large.size, hash: hash.toString("hex"), isVanished: false }).slice(1), large.fileId, 0, false);
    } finally {
      fs.closeSync(fd);
    }
  };

  /**
   * A large file the target holds in another version: wait for the signature of the target's copy,
   * then read the file once, cell by cell with the next cell's read in flight, hashing each cell as
   * it lands and passing it through a DeltaEncoder one window at a time; its COPY and literal pieces
   * go out in frames of about four windows. Memory stays bounded whatever the file's size: two
   * cells, the encoder's block and window, one frame. Falls back to streaming when the target has
   * no usable copy.
   */
  const sendDelta = async (large: LargeFile) => {
    const sigFrame = parseControlPayload((await replies.expect(FileFrame.signature)).payload);
    const body = sigFrame.body as { fileId: number; isAvailable: boolean };
    if (body.fileId !== large.fileId) throw new TransferError(`protocol error: signature for file ${body.fileId}, expected ${large.fileId}`);
    if (!body.isAvailable) return streamFile(large);
    let fd: number;
    try {
      fd = fs.openSync(treePaths.abs(large.path), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      notes.push({ kind: "vanished", path: large.path, text: "vanished before it could be read" });
      // seq names the file: the receiver drops its temporary copy and its old one's descriptor.
      await sendFrame(FileFrame.fileEnd, controlFrame(0, { size: large.size, hash: "", isVanished: true }).slice(1), large.fileId, 0, false);
      return;
    }
    let pending: Promise<number> | null = null;
    try {
      const before = fs.fstatSync(fd, { bigint: true });
      const windowBytes = options.deltaWindowBytes ?? DELTA_WINDOW_BYTES;
      const frameBytes = 4 * windowBytes;
      let w: BufWriter;
      let framePeak = 0;
      const encoder = new DeltaEncoder(
        Buffer.from(sigFrame.blob),
        {
          copy: (block) => {
            w.u8(DeltaOp.copy);
            w.u32(block);
          },
          literal: (bytes) => {
            w.u8(DeltaOp.literal);
            w.bytes(bytes);
          },
        },
        windowBytes,
      );
      // A frame is flushed once it holds frameBytes; one window pushed adds at most a window and a
      // block of literal bytes and a few COPY records, so a writer of this size never grows.
      const newWriter = () => new BufWriter(frameBytes + windowBytes + encoder.blockBytes + 64 * 1024);
      w = newWriter();
      const flushDelta = async (isLast: boolean) => {
        if (w.length === 0 || (!isLast && w.length < frameBytes)) return;
        framePeak = Math.max(framePeak, w.buf.length);
        // The frame may wait in the socket's queue: the next one gets a writer of its own.
        const frame = w.result();
        w = newWriter();
        await sendFrame(FileFrame.delta, [frame], large.fileId, 0, true);
      };
      const cells = cellCount(large.size);
      const cellBuffers = Array.from({ length: Math.min(2, cells) }, () => Buffer.allocUnsafeSlow(cellLength(large.size, 0)));
      /** Fills buf from the cell's start; fewer bytes only at the end of the file. */
      const readCell = (buf: Buffer, index: number) =>
        new Promise<number>((resolve, reject) => {
          const len = cellLength(large.size, index);
          let got = 0;
          const step = () =>
            fs.read(fd, buf, got, len - got, index * CELL_BYTES + got, (error, n) => {
              if (error) return reject(error);
              got += n;
              if (n === 0 || got === len) return resolve(got);
              step();
            });
          step();
        });
      const cellHashes: Buffer[] = [];
      let size = 0;
      pending = readCell(cellBuffers[0]!, 0);
      for (let index = 0; pending; index++) {
        const got: number = await pending;
        const data = cellBuffers[index % 2]!.subarray(0, got);
        const isShort: boolean = got < cellLength(large.size, index);
        pending = !isShort && index + 1 < cells ? readCell(cellBuffers[(index + 1) % 2]!, index + 1) : null;
        cellHashes.push(large.size <= CELL_BYTES ? smallFileHash(data) : cellHash(data));
        for (let o = 0; o < got; o += windowBytes) {
          encoder.push(data.subarray(o, o + windowBytes));
          await flushDelta(false);
        }
        size += got;
        doneBytes += got;
        progress(false);
      }
      encoder.finish();
      await flushDelta(true);
      const after = fs.fstatSync(fd, { bigint: true });
      if (after.size !== before.size || after.mtimeNs !== before.mtimeNs || size !== large.size) {
        notes.push({ kind: "changed", path: large.path, text: "changed while it was read; sent as read" });
      }
      deltaPeakBytes = Math.max(deltaPeakBytes, cellBuffers.reduce((n, b) => n + b.length, 0) + encoder.peakHeldBytes + framePeak);
      contentBytes += encoder.literalBytes;
      const hash = large.size <= CELL_BYTES ? cellHashes[0]! : fileHashFromCells(size, cellHashes);
      streamedHashes.set(large.path, hash);
      options.log?.(
        `delta ${JSON.stringify(Buffer.from(large.path, "latin1").toString("utf8"))}: ${encoder.literalBytes} of ${size} bytes sent (${encoder.blockBytes / 1024} KiB blocks)`,
      );
      await sendFrame(FileFrame.fileEnd, controlFrame(0, { size, hash: hash.toString("hex"), isVanished: false }).slice(1), large.fileId, 0, false);
    } finally {
      // A read still in flight must not land after its descriptor is closed (or reused).
      await pending?.catch(() => undefined);
      fs.closeSync(fd);
    }
  };

  try {
    const hello: FilesHello = {
      protocol: FILES_PROTOCOL_VERSION,
      kind: "files",
      sourceLabel: `${os.hostname()}:${root}`,
      isSync: options.isSync,
      excludes: options.excludes ?? [],
    };
    await channel.send(controlFrame(FileFrame.hello, hello));
    /** Sends what the walker produces until it says `until`. */
    const pump = async (until: "done" | "resent"): Promise<WalkerMessage> => {
      for (;;) {
        const m = await nextMessage();
        if (m.t === "failed") throw new Error(`walker failed: ${m.message}`);
        if (m.t === "note") {
          notes.push({ kind: m.kind, path: m.path, text: m.text });
          options.log?.(`${m.kind}: ${JSON.stringify(Buffer.from(m.path, "latin1").toString("utf8"))}: ${m.text}`);
          continue;
        }
        if (m.t === "batch") {
          const payload = Buffer.from(m.buf, m.offset, m.length);
          if (m.count > 0) await sendFrame(FileFrame.batch, [payload], batchSeq++, 0, true);
          Atomics.sub(counter, 0, 1);
          Atomics.notify(counter, 0);
          if (m.large) await (m.large.isDelta ? sendDelta(m.large) : streamFile(m.large));
          progress(false);
          continue;
        }
        if (m.t === until) return m;
      }
    };

    const index = indexToMove(await replies.expect(FileFrame.ready));
    trace("ready");
    indexChannel.port1.postMessage(index, [index.buffer]);
    indexChannel.port1.close();
    const done = (await pump("done")) as Extract<WalkerMessage, { t: "done" }>;
    walkedBytes = done.stats.bytes;
    trace("walked");
    doneBytes = walkedBytes;
    contentBytes += done.stats.inlineBytes;
    let report: ConsistencyReport;
    let round = 0;
    for (;;) {
      await channel.send(controlFrame(FileFrame.roundEnd, { round, notes: notesToSend(notes) }));
      const r = parseControlPayload((await replies.expect(FileFrame.report)).payload);
      report = reportSchema.parse(r.body);
      trace("report");
      const resend: string[] = [];
      const br = new BufReader(r.blob);
      while (!br.isDone) resend.push(br.str());
      if (report.isVerified || resend.length === 0 || round + 1 >= MAX_ROUNDS) break;
      options.log?.(`${resend.length} entries differ on the target, sending them again`);
      w.postMessage({ t: "resend", paths: resend });
      await pump("resent");
      round++;
    }
    if (!report.isVerified) {
      await channel.end();
      throw new TransferError(
        `the target does not match after ${round + 1} rounds: ${report.different} different, ${report.missing} missing` +
          (report.differentPaths.length + report.missingPaths.length > 0 ? ` (e.g. ${JSON.stringify([...report.differentPaths, ...report.missingPaths][0])})` : ""),
      );
    }
    // Verified: the walker is done, and what it learnt becomes the cache, while the receiver seals.
    const stopping = w.terminate();
    const caching = (async () => {
      await fs.promises.mkdir(options.stateDir, { recursive: true });
      await fs.promises.writeFile(`${cacheFile}.tmp`, fillCacheHashes(Buffer.from(done.cache), streamedHashes));
      await fs.promises.rename(`${cacheFile}.tmp`, cacheFile);
    })();
    await channel.send(controlFrame(FileFrame.verified, { entries: report.total }));
    await replies.expect(FileFrame.done);
    trace("done");
    await channel.send(controlFrame(FrameType.bye, {}));
    await channel.end();
    progress(true);
    await Promise.all([stopping, caching]);
    return {
      stats: done.stats,
      report,
      notes,
      rounds: round + 1,
      contentBytes,
      wireBytes: channel.bytesWritten - wireStart,
      deltaPeakBytes,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    channel.socket.destroy();
    throw replies.fatal && !(error instanceof TransferError) ? replies.fatal : error;
  } finally {
    await walker.terminate();
    treePaths.close();
  }
}

