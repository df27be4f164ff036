import fs from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import tls from "node:tls";
import zlib from "node:zlib";
import { DATA_TAG_BYTE, hashChunk, encodeHashTable, tableDigest } from "./chunk-hash";
import { HashPool } from "./hash-pool";
import { decodeExtents } from "./chunk-plan";
import { statTarget } from "./device-size";
import { FrameChannel } from "./frame-channel";
import { FrameFlag, FrameType, controlFrame, crc32, parseControlPayload, type Frame } from "./frames";
import { helloSchema, verifiedSchema, type Hello } from "./protocol-messages";
import { TargetState } from "./receiver-state";
import { serverTlsOptions, type TransferCredentials } from "./tls-credentials";

export const DEFAULT_CHECKPOINT_BYTES = 64 * 1024 * 1024;
const MAX_PENDING_WRITES = 16;

export interface ReceiverOptions {
  host: string;
  port: number;
  credentials: TransferCredentials;
  outDir: string;
  /** Disk name → device or file path, instead of DIR/<name>. */
  maps?: Record<string, string>;
  checkpointBytes?: number;
  log?: (line: string) => void;
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
  error?: string;
}

/** An error about the target the sender must be told of in words (full disk, too small...). */
export class TargetError extends Error {}

function describeWriteError(error: unknown, targetPath: string, position: number): TargetError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOSPC") {
    return new TargetError(`target ${targetPath} is full (no space left on device) writing at byte ${position}`);
  }
  if (code === "EFBIG") return new TargetError(`target ${targetPath} cannot grow to byte ${position} (file too large)`);
  return new TargetError(`writing target ${targetPath} at byte ${position} failed: ${(error as Error).message}`);
}

/** One disk being written: positioned writes, chunk hashes, and durable checkpoints. */
class TargetWriter {
  private readonly pending = new Set<Promise<void>>();
  private completed = new Map<number, Buffer>();
  private completedBytes = 0;
  private bytesSinceCheckpoint = 0;
  private checkpointChain: Promise<void> = Promise.resolve();
  private writeError: Error | null = null;
  private readonly writtenThisSession = new Set<number>();
  private readonly zeros: Buffer;
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
    private readonly pool: HashPool,
  ) {
    this.zeros = Buffer.alloc(hello.chunkBytes);
  }

  async handleChunk(f: Frame): Promise<void> {
    if (this.writeError) throw this.writeError;
    let raw: Buffer;
    try {
      raw = f.flags & FrameFlag.deflated ? zlib.inflateRawSync(f.payload) : f.payload;
    } catch {
      raw = Buffer.alloc(0);
    }
    if (raw.length !== f.rawLength || crc32([raw]) !== f.checksum) {
      // Nothing of a damaged frame is written; the sender re-reads and re-sends the chunk.
      this.corruptFrames++;
      await this.channel.send(controlFrame(FrameType.nack, { index: f.seq, reason: "checksum mismatch" }));
      return;
    }
    const index = f.seq;
    const cellStart = index * this.hello.chunkBytes;
    const { extents, headerBytes, dataBytes } = decodeExtents(raw, cellStart, this.hello.chunkBytes);
    const last = extents[extents.length - 1]!;
    if (last.start + last.length > this.hello.size) throw new Error(`chunk ${index} reaches past the end of the disk`);
    const isZero = f.type === FrameType.zero;
    if (isZero && raw.length !== headerBytes) throw new Error(`zero chunk ${index} carries data`);
    if (!isZero && raw.length !== headerBytes + dataBytes) throw new Error(`chunk ${index}: extent list and data disagree`);
    // tag || extents || data: the same bytes hashChunk() covers on the sender.
    const hashing = isZero ? Promise.resolve(hashChunk(raw, null)) : this.pool.hash(DATA_TAG_BYTE, [raw]);

    // A new sparse file already reads as zeros where nothing was written: keep the holes.
    if (isZero && this.isNewFile && !this.writtenThisSession.has(index)) {
      this.onWritten(index, await hashing, raw.length);
      return;
    }
    this.writtenThisSession.add(index);
    while (this.pending.size >= MAX_PENDING_WRITES) await Promise.race(this.pending);
    if (this.writeError) throw this.writeError;
    const write = (async () => {
      let offset = headerBytes;
      for (const e of extents) {
        const source = isZero ? this.zeros : raw;
        const from = isZero ? 0 : offset;
        let done = 0;
        while (done < e.length) {
          try {
            const { bytesWritten } = await this.handle.write(source, from + done, e.length - done, e.start + done);
            if (bytesWritten === 0) throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
            done += bytesWritten;
          } catch (error) {
            throw describeWriteError(error, this.targetPath, e.start + done);
          }
        }
        offset += e.length;
      }
      this.bytesWritten += isZero ? 0 : dataBytes;
      this.onWritten(index, await hashing, raw.length);
    })();
    const tracked = write.then(
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

  private onWritten(index: number, hash: Buffer, streamBytes: number): void {
    this.completed.set(index, hash);
    this.completedBytes += streamBytes;
    this.bytesSinceCheckpoint += streamBytes;
    if (this.bytesSinceCheckpoint >= this.checkpointBytes) void this.checkpoint().catch(() => undefined);
  }

  /** fdatasync the target, then persist and acknowledge the chunks written before it. */
  checkpoint(): Promise<void> {
    this.checkpointChain = this.checkpointChain.then(async () => {
      const batch = this.completed;
      const durableBytes = this.completedBytes;
      this.completed = new Map();
      this.bytesSinceCheckpoint = 0;
      if (batch.size === 0) return;
      await this.syncTarget();
      await this.state.append(batch);
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
    };
    await this.state.compact();
    await this.state.saveMeta();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function openTarget(hello: Hello, options: ReceiverOptions, channel: FrameChannel, checkpointBytes: number, pool: HashPool) {
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
    // Files are the image of the source: exactly its size, sparse where nothing is written.
    if (isRegularFile) await handle.truncate(hello.size);
    let state = await TargetState.load(stateDir, hello.name);
    const m = state?.meta;
    const isSameSource =
      !!m && m.sourceId === hello.sourceId && m.size === hello.size && m.chunkBytes === hello.chunkBytes && m.targetPath === targetPath;
    const isResume = !!state && isSameSource && (!m!.isComplete || hello.isSync) && !!st;
    if (!isResume || !state) {
      state = await TargetState.create(stateDir, hello.name, {
        version: 1,
        name: hello.name,
        targetPath,
        sourceId: hello.sourceId,
        size: hello.size,
        chunkBytes: hello.chunkBytes,
        isFreshFile: !st,
        isComplete: false,
      });
    } else {
      state.meta = { ...state.meta, isComplete: false };
      await state.saveMeta();
    }
    const writer = new TargetWriter(hello, targetPath, handle, state, !st, isRegularFile, channel, checkpointBytes, pool);
    return { writer, isResume };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function runSession(channel: FrameChannel, options: ReceiverOptions, log: (l: string) => void, pool: HashPool): Promise<SessionResult> {
  const checkpointBytes = options.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
  const disks: DiskReceipt[] = [];
  let current: { writer: TargetWriter; isResume: boolean } | null = null;
  try {
    for (;;) {
      const f = await channel.next();
      switch (f.type) {
        case FrameType.hello: {
          if (current) throw new Error("HELLO inside a disk");
          const hello = helloSchema.parse(parseControlPayload(f.payload).body);
          current = await openTarget(hello, options, channel, checkpointBytes, pool);
          const known = current.isResume ? current.writer.state.chunks : new Map<number, Buffer>();
          log(`${hello.name}: receiving ${hello.size} bytes into ${current.writer.targetPath}${current.isResume ? `, resuming with ${known.size} chunks in place` : ""}`);
          await channel.send(
            controlFrame(FrameType.ready, { isResume: current.isResume, knownChunks: known.size, checkpointBytes }, encodeHashTable(known)),
          );
          break;
        }
        case FrameType.data:
        case FrameType.zero:
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
  const pool = new HashPool();
  const server = tls.createServer(serverTlsOptions(options.credentials), (socket) => {
    socket.setNoDelay(true);
    const channel = new FrameChannel(socket);
    void runSession(channel, options, log, pool).then(publish);
  });
  server.on("tlsClientError", (error, socket) => {
    log(`refused a connection from ${socket.remoteAddress ?? "?"}: TLS authentication failed (wrong token?): ${error.message.split("\n")[0]}`);
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
    close: () => new Promise((resolve) => server.close(() => void pool.close().then(() => resolve()))),
  };
}
