import fs from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import tls from "node:tls";
import zlib from "node:zlib";
import { BLOCK_PROTOCOL_VERSION, helloSchema, verifiedSchema, type Hello } from "../protocol/v1/transfer";
import { assertSameProtocol } from "./protocol-version";
import { bufferPool } from "./buffer-pool";
import { HASH_BYTES, WINDOW_BYTES, encodeHashTable, hashChunkData, hashZeroChunk, readyChunkHash, tableDigest } from "./chunk-hash";
import { decodeExtents, windowPieces, type Extent } from "./chunk-plan";
import { statTarget } from "./device-size";
import { FrameChannel } from "./frame-channel";
import { FrameFlag, FrameType, controlFrame, crc32, parseControlPayload, type Frame } from "./frames";
import { growTargetAfterVerify, type TargetGrowOptions } from "./grow-target";
import { readFullyAt } from "./layout/read-at";
import { fileFactsOf, isSameTargetFile, TargetState, STATE_VERSION } from "./receiver-state";
import { refusesPeer, serverTlsOptions, type TransferCredentials } from "./tls-credentials";
import { receiveFileSession, type FilesReceipt } from "./files/file-receiver";

export const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024;
const MAX_PENDING_WRITES = 32;

export interface ReceiverOptions extends TargetGrowOptions {
  host: string;
  port: number;
  credentials: TransferCredentials;
  outDir: string;
  /** Disk name → device or file path, instead of DIR/<name>. */
  maps?: Record<string, string>;
  checkpointBytes?: number;
  /** File sessions: READY, with the target's index, goes in frames of at most this many bytes (tests make it small). */
  indexPartBytes?: number;
  /** A speed limit senders are asked to keep (bytes per second); change it with setLimit(). */
  limitBytesPerSecond?: number | null;
  log?: (line: string) => void;
  /** Test hook: return true to stop dead after this chunk's write, as kill -9 would. */
  crashAfterWrite?: (index: number) => boolean;
}

export interface DiskReceipt {
  name: string;
  targetPath: string;
  chunks: number;
  verified: boolean;
  isResume: boolean;
  bytesWritten: number;
  corruptFrames: number;
}

export interface SessionResult {
  isOk: boolean;
  disks: DiskReceipt[];
  /** Set when the session carried files (files/file-receiver.ts) rather than disks. */
  files?: FilesReceipt;
  error?: string;
}

/** An error about the target the sender must be told of in words (full disk, too small...). */
export class TargetError extends Error {}

class SimulatedCrash extends Error {}

function describeWriteError(error: unknown, targetPath: string, position: number): TargetError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOSPC") {
    return new TargetError(`target ${targetPath} is full (no space left on device) writing at byte ${position}`);
  }
  if (code === "EFBIG") return new TargetError(`target ${targetPath} cannot grow to byte ${position} (file too large)`);
  return new TargetError(`writing target ${targetPath} at byte ${position} failed: ${(error as Error).message}`);
}

/** A damaged frame: nothing of it is written and the sender is asked to send the chunk again. */
class CorruptFrame extends Error {}

interface Piece {
  position: number;
  bytes: Buffer;
}

/** One disk being written: positioned writes, chunk hashes, and durable checkpoints. */
class TargetWriter {
  private readonly pending = new Set<Promise<void>>();
  private completed = new Map<number, Buffer>();
  /** Batches taken by checkpoints whose hashes are not in the log yet. */
  private readonly unloggedBatches = new Set<ReadonlyMap<number, Buffer>>();
  private completedBytes = 0;
  private bytesSinceCheckpoint = 0;
  private checkpointChain: Promise<void> = Promise.resolve();
  private invalidation: { indexes: Set<number>; done: Promise<void> } | null = null;
  private writeError: Error | null = null;
  private readonly writtenThisSession = new Set<number>();
  private readonly zeros: Buffer;
  private isCrashed = false;
  bytesWritten = 0;
  corruptFrames = 0;

  constructor(
    readonly hello: Hello,
    readonly targetPath: string,
    private readonly handle: fs.FileHandle,
    readonly state: TargetState,
    private readonly isNewFile: boolean,
    private readonly isRegularFile: boolean,
    private readonly channel: FrameChannel,
    private readonly checkpointBytes: number,
    private readonly crashAfterWrite?: (index: number) => boolean,
  ) {
    this.zeros = Buffer.alloc(hello.chunkBytes);
  }

  /** Starts handling a DATA, ZERO or PATCH frame; returns once it may take the next frame. */
  async handleChunk(f: Frame): Promise<void> {
    if (this.writeError) {
      f.release?.();
      throw this.writeError;
    }
    while (this.pending.size >= MAX_PENDING_WRITES) await Promise.race(this.pending);
    if (this.writeError) {
      f.release?.();
      throw this.writeError;
    }
    const task = this.processChunk(f)
      .catch(async (error: Error) => {
        if (!(error instanceof CorruptFrame)) throw error;
        this.corruptFrames++;
        if (!this.channel.isClosed) this.channel.write(controlFrame(FrameType.nack, { index: f.seq, reason: error.message }));
      })
      .finally(() => f.release?.());
    const tracked = task.then(
      () => {
        this.pending.delete(tracked);
      },
      (error: Error) => {
        this.pending.delete(tracked);
        this.writeError ??= error;
      },
    );
    this.pending.add(tracked);
  }

  private async processChunk(f: Frame): Promise<void> {
    let raw: Buffer;
    try {
      raw = f.flags & FrameFlag.deflated ? zlib.inflateRawSync(f.payload) : f.payload;
    } catch {
      throw new CorruptFrame("payload does not inflate");
    }
    if (raw.length !== f.rawLength) throw new CorruptFrame("payload length differs from its header");
    const index = f.seq;
    const cellStart = index * this.hello.chunkBytes;
    const decode = (buf: Buffer) => {
      try {
        return decodeExtents(buf, cellStart, this.hello.chunkBytes);
      } catch (error) {
        throw new CorruptFrame((error as Error).message);
      }
    };
    if (f.type === FrameType.zero) {
      if (crc32([raw]) !== f.checksum) throw new CorruptFrame("checksum mismatch");
      const { extents, headerBytes } = decode(raw);
      if (raw.length !== headerBytes) throw new Error(`zero chunk ${index} carries data`);
      this.checkInside(index, extents);
      const hash = hashZeroChunk(raw);
      // A new sparse file already reads as zeros where nothing was written: keep the holes.
      if (this.isNewFile && !this.writtenThisSession.has(index) && !this.state.chunks.has(index)) {
        this.onWritten(index, hash, raw.length);
        return;
      }
      await this.writePieces(index, extents.map((e) => ({ position: e.start, bytes: this.zeros.subarray(0, e.length) })));
      this.onWritten(index, hash, raw.length);
      return;
    }
    if (raw.length < HASH_BYTES + 4) throw new CorruptFrame("frame too short");
    const root = raw.subarray(0, HASH_BYTES);
    const count = raw.readUInt32LE(HASH_BYTES);
    const extBytes = 4 + count * 8;
    if (HASH_BYTES + extBytes > raw.length) throw new CorruptFrame("extent list truncated");
    let headEnd = HASH_BYTES + extBytes;
    let windows: number[] | null = null;
    if (f.type === FrameType.patch) {
      if (headEnd + 4 > raw.length) throw new CorruptFrame("window list truncated");
      const n = raw.readUInt32LE(headEnd);
      if (headEnd + 4 + n * 4 > raw.length) throw new CorruptFrame("window list truncated");
      windows = [];
      for (let i = 0; i < n; i++) windows.push(raw.readUInt32LE(headEnd + 4 + i * 4));
      headEnd += 4 + n * 4;
    }
    if (crc32([raw.subarray(0, headEnd)]) !== f.checksum) throw new CorruptFrame("checksum mismatch");
    const ext = raw.subarray(HASH_BYTES, HASH_BYTES + extBytes);
    const { extents, dataBytes } = decode(ext);
    this.checkInside(index, extents);
    const data = raw.subarray(headEnd);
    if (!windows) {
      if (data.length !== dataBytes) throw new Error(`chunk ${index}: extent list and data disagree`);
      const digest = hashChunkData(ext, [data]);
      if (!digest.root.equals(root)) throw new CorruptFrame("chunk hash mismatch");
      let o = 0;
      const pieces = extents.map((e) => {
        const p = { position: e.start, bytes: data.subarray(o, o + e.length) };
        o += e.length;
        return p;
      });
      await this.writePieces(index, pieces);
      this.bytesWritten += dataBytes;
      this.onWritten(index, digest.root, raw.length);
      return;
    }
    await this.applyPatch(index, ext, extents, dataBytes, windows, data, root, raw.length);
  }

  /**
   * Reads the chunk as the target holds it, lays the changed windows over it, and writes them
   * only if the result hashes to the sender's root: the check covers the bytes kept as well.
   */
  private async applyPatch(index: number, ext: Buffer, extents: Extent[], dataBytes: number, windows: number[], data: Buffer, root: Buffer, streamBytes: number) {
    const chunk = bufferPool.acquire(dataBytes);
    try {
      let o = 0;
      for (const e of extents) {
        await readFullyAt(this.handle, chunk.buf.subarray(o, o + e.length), e.start);
        o += e.length;
      }
      const pieces: Piece[] = [];
      let d = 0;
      let previous = -1;
      for (const w of windows) {
        if (w <= previous) throw new CorruptFrame("window list out of order");
        previous = w;
        for (const p of windowPieces(extents, this.hello.chunkBytes * index, w, WINDOW_BYTES)) {
          if (d + p.length > data.length) throw new CorruptFrame("patch shorter than its windows");
          data.copy(chunk.buf, p.dataOffset, d, d + p.length);
          pieces.push({ position: p.start, bytes: data.subarray(d, d + p.length) });
          d += p.length;
        }
      }
      if (d !== data.length) throw new CorruptFrame("patch longer than its windows");
      const digest = hashChunkData(ext, [chunk.buf]);
      if (!digest.root.equals(root)) throw new CorruptFrame("chunk hash mismatch after patching");
      await this.writePieces(index, pieces);
      this.bytesWritten += d;
      this.onWritten(index, digest.root, streamBytes);
    } finally {
      chunk.release();
    }
  }

  private checkInside(index: number, extents: Extent[]): void {
    const last = extents[extents.length - 1]!;
    if (last.start + last.length > this.hello.size) throw new Error(`chunk ${index} reaches past the end of the disk`);
  }

  private async writePieces(index: number, pieces: Piece[]): Promise<void> {
    this.writtenThisSession.add(index);
    const invalidated = this.beforeOverwrite(index);
    if (invalidated) await invalidated;
    if (this.isCrashed) throw new SimulatedCrash("crashed");
    for (const p of pieces) {
      let done = 0;
      while (done < p.bytes.length) {
        try {
          const { bytesWritten } = await this.handle.write(p.bytes, done, p.bytes.length - done, p.position + done);
          if (bytesWritten === 0) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
          done += bytesWritten;
        } catch (error) {
          throw describeWriteError(error, this.targetPath, p.position + done);
        }
      }
    }
    if (this.crashAfterWrite?.(index)) {
      this.isCrashed = true;
      throw new SimulatedCrash(`simulated crash after writing chunk ${index}`);
    }
  }

  /**
   * Before a chunk the log may vouch for is overwritten, withdraw that (durably, in one log
   * append for all chunks arriving together). A hash written by an earlier write in this session
   * and not yet logged is simply dropped.
   */
  private beforeOverwrite(index: number): Promise<void> | null {
    const earlier = this.completed.get(index);
    if (earlier) this.completed.delete(index);
    if (!this.state.chunks.has(index) && ![...this.unloggedBatches].some((b) => b.has(index))) return null;
    if (!this.invalidation) {
      const indexes = new Set<number>();
      const done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.invalidation = null;
        // Behind any running checkpoint, so an append of the old hash cannot come after.
        const step = this.checkpointChain.catch(() => undefined).then(() => this.state.invalidate(indexes));
        this.checkpointChain = step;
        return step;
      });
      this.invalidation = { indexes, done };
    }
    this.invalidation.indexes.add(index);
    return this.invalidation.done;
  }

  private onWritten(index: number, hash: Buffer, streamBytes: number): void {
    this.completed.set(index, hash);
    this.completedBytes += streamBytes;
    this.bytesSinceCheckpoint += streamBytes;
    if (this.bytesSinceCheckpoint >= this.checkpointBytes) void this.checkpoint().catch(() => undefined);
  }

  /**
   * fdatasync the target, then persist and acknowledge the chunks written before it. Writes go
   * on meanwhile: the sender's window, not this, is what holds it back.
   */
  checkpoint(): Promise<void> {
    const batch = this.completed;
    const durableBytes = this.completedBytes;
    this.completed = new Map();
    this.bytesSinceCheckpoint = 0;
    this.unloggedBatches.add(batch);
    this.checkpointChain = this.checkpointChain.then(async () => {
      try {
        if (this.isCrashed || batch.size === 0) return;
        await this.syncTarget();
        if (this.isCrashed) return;
        await this.state.append(batch);
      } finally {
        this.unloggedBatches.delete(batch);
      }
      if (!this.channel.isClosed) {
        this.channel.write(controlFrame(FrameType.ack, { durableBytes, durableChunks: this.state.chunks.size }));
      }
    });
    return this.checkpointChain;
  }

  private async syncTarget(): Promise<void> {
    try {
      await this.handle.datasync();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Character devices (and some special files) cannot be synced; they have no cache to flush.
      if (this.isRegularFile || (code !== "EINVAL" && code !== "EROFS")) throw error;
    }
  }

  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.race(this.pending);
    if (this.writeError) throw this.writeError;
    await this.checkpoint();
  }

  /** Waits for every write, checkpoints, and forgets chunks the source no longer has. */
  async finishRound(planned: ReadonlySet<number>): Promise<Map<number, Buffer>> {
    await this.settle();
    for (const index of [...this.state.chunks.keys()]) if (!planned.has(index)) this.state.chunks.delete(index);
    return this.state.chunks;
  }

  /** After a lost connection: keep what was written, durably, so a rerun resumes from it. */
  async salvage(): Promise<void> {
    while (this.pending.size > 0) await Promise.race(this.pending).catch(() => undefined);
    if (!this.writeError) await this.checkpoint().catch(() => undefined);
  }

  async markVerified(chunks: number, digest: string): Promise<void> {
    this.state.meta = {
      ...this.state.meta,
      isComplete: true,
      isFreshFile: false,
      verifiedChunks: chunks,
      verifiedDigest: digest,
      verifiedAt: new Date().toISOString(),
      // Its ctime now: a later change by anything else shows (see isSameTargetFile).
      file: this.isRegularFile ? fileFactsOf(await this.handle.stat({ bigint: true })) : undefined,
    };
    await this.state.compact();
    await this.state.saveMeta();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function openTarget(hello: Hello, options: ReceiverOptions, channel: FrameChannel, checkpointBytes: number, log: (l: string) => void) {
  const targetPath = options.maps?.[hello.name] ?? path.join(options.outDir, hello.name);
  const stateDir = path.join(options.outDir, ".ferry");
  const st = await statTarget(targetPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return null;
    throw e;
  });
  if (st && !st.isFile && st.size !== null && st.size < hello.size) {
    throw new TargetError(
      `target device ${targetPath} holds ${st.size} bytes but the source disk "${hello.name}" has ${hello.size}: refusing before writing anything`,
    );
  }
  if (!st) await fs.mkdir(path.dirname(targetPath), { recursive: true });
  const handle = await fs.open(targetPath, st ? "r+" : "w");
  try {
    const isRegularFile = !st || st.isFile;
    // Before the truncate below, which may move its ctime.
    const fileNow = isRegularFile ? fileFactsOf(await handle.stat({ bigint: true })) : null;
    // Files are the image of the source: exactly its size, sparse where nothing is written.
    if (isRegularFile) await handle.truncate(hello.size);
    let state = await TargetState.load(stateDir, hello.name);
    const m = state?.meta;
    const isSameSource =
      !!m && m.sourceId === hello.sourceId && m.size === hello.size && m.chunkBytes === hello.chunkBytes && m.targetPath === targetPath;
    const isSameTarget = !fileNow || (!!m && isSameTargetFile(m, fileNow));
    const isResume = !!state && isSameSource && isSameTarget && (!m!.isComplete || hello.isSync) && !!st;
    if (state && isSameSource && !isSameTarget && st) log(`${hello.name}: ${targetPath} was replaced or changed since the last pass; its chunks are sent again`);
    if (!isResume || !state) {
      state = await TargetState.create(stateDir, hello.name, {
        version: STATE_VERSION,
        name: hello.name,
        targetPath,
        sourceId: hello.sourceId,
        size: hello.size,
        chunkBytes: hello.chunkBytes,
        isFreshFile: !st,
        isComplete: false,
        file: isRegularFile ? fileFactsOf(await handle.stat({ bigint: true })) : undefined,
      });
    } else {
      state.meta = { ...state.meta, isComplete: false, file: isRegularFile ? fileFactsOf(await handle.stat({ bigint: true })) : undefined };
      await state.saveMeta();
    }
    const writer = new TargetWriter(hello, targetPath, handle, state, !st, isRegularFile, channel, checkpointBytes, options.crashAfterWrite);
    return { writer, isResume };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function runSession(
  channel: FrameChannel,
  options: ReceiverOptions,
  log: (l: string) => void,
  currentLimit: () => number | null,
): Promise<SessionResult> {
  const checkpointBytes = options.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
  const disks: DiskReceipt[] = [];
  let current: { writer: TargetWriter; isResume: boolean } | null = null;
  try {
    for (;;) {
      const f = await channel.next();
      switch (f.type) {
        case FrameType.filesHello: {
          if (current || disks.length > 0) throw new Error("a file session cannot follow disks");
          const r = await receiveFileSession(channel, f, { outDir: options.outDir, log, checkpointBytes: options.checkpointBytes, indexPartBytes: options.indexPartBytes });
          return { ...r, disks: [] };
        }
        case FrameType.hello: {
          if (current) throw new Error("HELLO inside a disk");
          const body = parseControlPayload(f.payload).body;
          assertSameProtocol(body, BLOCK_PROTOCOL_VERSION, "block");
          const hello = helloSchema.parse(body);
          await readyChunkHash();
          current = await openTarget(hello, options, channel, checkpointBytes, log);
          const known = current.isResume ? current.writer.state.chunks : new Map<number, Buffer>();
          log(`${hello.name}: receiving ${hello.size} bytes into ${current.writer.targetPath}${current.isResume ? `, resuming with ${known.size} chunks in place` : ""}`);
          await channel.send(
            controlFrame(
              FrameType.ready,
              { isResume: current.isResume, knownChunks: known.size, checkpointBytes, limitBytesPerSecond: currentLimit() },
              encodeHashTable(known),
            ),
          );
          break;
        }
        case FrameType.data:
        case FrameType.zero:
        case FrameType.patch:
          if (!current) throw new Error("chunk before HELLO");
          await current.writer.handleChunk(f);
          break;
        case FrameType.end: {
          if (!current) throw new Error("END before HELLO");
          const { blob } = parseControlPayload(f.payload);
          const planned = new Set<number>();
          for (let o = 0; o + 4 <= blob.length; o += 4) planned.add(blob.readUInt32LE(o));
          const table = await current.writer.finishRound(planned);
          await channel.send(controlFrame(FrameType.hashes, { chunks: table.size }, encodeHashTable(table)));
          break;
        }
        case FrameType.verified: {
          if (!current) throw new Error("VERIFIED before HELLO");
          const v = verifiedSchema.parse(parseControlPayload(f.payload).body);
          const w = current.writer;
          // The sender compared our table with its own; we check its digest against ours too.
          if (w.state.chunks.size !== v.chunks || tableDigest(w.state.chunks) !== v.digest) throw new Error("sender's digest does not match the chunks written here");
          await w.markVerified(v.chunks, v.digest);
          await growTargetAfterVerify(w.targetPath, w.hello.size, w.state, options);
          log(`${w.hello.name}: verified ${v.chunks} of ${v.chunks} chunks (${w.bytesWritten} bytes written${w.corruptFrames ? `, ${w.corruptFrames} corrupt frames re-sent` : ""})`);
          disks.push({
            name: w.hello.name,
            targetPath: w.targetPath,
            chunks: v.chunks,
            verified: true,
            isResume: current.isResume,
            bytesWritten: w.bytesWritten,
            corruptFrames: w.corruptFrames,
          });
          await w.close();
          current = null;
          await channel.send(controlFrame(FrameType.done, { chunks: v.chunks }));
          break;
        }
        case FrameType.bye:
          await channel.end();
          return { isOk: true, disks };
        default:
          throw new Error(`unexpected frame type ${f.type}`);
      }
    }
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof SimulatedCrash) {
      channel.socket.destroy();
      await current?.writer.close().catch(() => undefined);
      return { isOk: false, disks, error: message };
    }
    if (current) {
      await current.writer.salvage();
      await current.writer.close().catch(() => undefined);
    }
    if (!channel.isClosed) {
      await channel.send(controlFrame(FrameType.error, { message })).catch(() => undefined);
      await channel.end();
    }
    log(`session ended without verification: ${message}`);
    return { isOk: false, disks, error: message };
  }
}

export interface RunningReceiver {
  address: AddressInfo;
  /** Resolves with each session's result, in order. */
  nextSession(): Promise<SessionResult>;
  /** Changes the speed limit asked of senders, now for running sessions and later ones (null lifts it). */
  setLimit(bytesPerSecond: number | null): void;
  close(): Promise<void>;
}

export async function startReceiver(options: ReceiverOptions): Promise<RunningReceiver> {
  const log = options.log ?? (() => undefined);
  const results: SessionResult[] = [];
  const waiters: ((r: SessionResult) => void)[] = [];
  const publish = (r: SessionResult) => {
    const w = waiters.shift();
    if (w) w(r);
    else results.push(r);
  };
  let limit = options.limitBytesPerSecond ?? null;
  const channels = new Set<FrameChannel>();
  const server = tls.createServer(serverTlsOptions(options.credentials), (socket) => {
    if (refusesPeer(options.credentials, socket, log)) return;
    socket.setNoDelay(true);
    const channel = new FrameChannel(socket);
    channels.add(channel);
    void runSession(channel, options, log, () => limit).then((r) => {
      channels.delete(channel);
      publish(r);
    });
  });
  server.on("tlsClientError", (error, socket) => {
    log(`refused a connection from ${socket.remoteAddress ?? "?"}: TLS authentication failed (${options.credentials.kind === "token" ? "wrong token?" : "a certificate not issued for this pass?"}): ${error.message.split("\n")[0]}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    nextSession: () => {
      const r = results.shift();
      return r ? Promise.resolve(r) : new Promise((resolve) => waiters.push(resolve));
    },
    setLimit: (bytesPerSecond) => {
      limit = bytesPerSecond;
      for (const c of channels) if (!c.isClosed) c.write(controlFrame(FrameType.limit, { bytesPerSecond }));
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
