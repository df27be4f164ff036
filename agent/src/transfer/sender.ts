import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { ackSchema, BLOCK_PROTOCOL_VERSION, errorSchema, limitSchema, nackSchema, readySchema, type Hello } from "../protocol/v1/transfer";
import { AdaptiveCompressor } from "./adaptive-compressor";
import {
  WINDOW_BYTES,
  changedWindows,
  decodeDigestTable,
  decodeHashTable,
  encodeDigestTable,
  hashChunkData,
  hashZeroChunk,
  readyChunkHash,
  tableDigest,
  type ChunkDigest,
} from "./chunk-hash";
import { DEFAULT_CHUNK_BYTES, encodeExtents, planChunks, windowPieces, type Chunk } from "./chunk-plan";
import { readChunks, readOneChunk, type ReadChunk } from "./chunk-reader";
import { statTarget } from "./device-size";
import { FrameChannel } from "./frame-channel";
import { FrameFlag, FrameType, controlFrame, crc32, encodeHeader, parseControlPayload, FRAME_HEADER_BYTES, type Frame } from "./frames";
import { flushMountedFilesystems } from "./flush-mounted";
import { detectValidLayout, type ValidLayout } from "./layout/valid-ranges";
import { SpeedLimit } from "./speed-limit";
import { clientTlsOptions, readyCredentials, type TransferCredentials } from "./tls-credentials";

const MAX_VERIFY_ROUNDS = 5;
/** The digest tables' file suffix; it names the hash (v2: xxHash), so a table of another hash is never read. */
const DIGESTS_SUFFIX = "digests-v2";

/** A failure the user has to act on (wrong token, receiver refused, full target). */
export class TransferError extends Error {}

export interface SendDiskSpec {
  path: string;
  name: string;
}

export interface SendProgress {
  name: string;
  /** Bytes the layout says must be looked at (data plus scanned ranges). */
  totalBytes: number;
  /** Bytes read and hashed so far (sent or found unchanged). */
  doneBytes: number;
  /** Payload bytes put on the link so far for this disk. */
  sentBytes: number;
  elapsedMs: number;
  isFinal: boolean;
}

export interface SendOptions {
  host: string;
  port: number;
  credentials: TransferCredentials;
  disks: SendDiskSpec[];
  isSync: boolean;
  limitBytesPerSecond?: number;
  /** The whole speed policy (windows, changes while running); takes the place of limitBytesPerSecond. */
  speedLimit?: SpeedLimit;
  /** Read-rate limit on the source disk, bytes per second, so it keeps serving its own load. */
  readLimitBytesPerSecond?: number;
  compress?: boolean;
  /** Where the chunk tables of successful sends are kept (per source and target). */
  stateDir: string;
  chunkBytes?: number;
  onProgress?: (p: SendProgress) => void;
  log?: (line: string) => void;
  /** Test hook: damage the frame of this chunk after its checksum was computed. */
  corruptChunk?: (index: number) => boolean;
}

export interface DiskSendResult {
  name: string;
  size: number;
  layout: Pick<ValidLayout, "table" | "regions" | "dataBytes" | "scanBytes">;
  chunks: number;
  verifiedChunks: number;
  digest: string;
  isResume: boolean;
  /** Chunks the receiver already had (resume or --sync). */
  skippedChunks: number;
  zeroChunks: number;
  /** Chunks sent again after a NACK or a verification mismatch. */
  resentChunks: number;
  /** Chunks sent as only their changed windows (--sync against the previous pass). */
  patchedChunks: number;
  /** Raw chunk bytes (extent lists and data) sent, before compression. */
  rawSentBytes: number;
  /** Bytes of frames put on the link (headers, compressed payloads), before TLS. */
  wireBytes: number;
  /** Chunks that differ from this sender's table of the last successful send, when it had one. */
  changedSinceLastPass: number | null;
  elapsedMs: number;
}

function describeConnectError(error: Error, host: string, port: number, kind: TransferCredentials["kind"]): TransferError {
  const msg = error.message;
  if (/alert|handshake|illegal parameter|decrypt|bad record mac|ECONNRESET|socket disconnected/i.test(msg)) {
    const why = kind === "token" ? "the token does not match" : "the certificates of this pass do not match";
    return new TransferError(`the receiver at ${host}:${port} refused the TLS handshake: ${why} (or it is not a ferry receiver)`);
  }
  return new TransferError(`cannot connect to ${host}:${port}: ${msg}`);
}

async function connect(options: SendOptions): Promise<FrameChannel> {
  await readyCredentials(options.credentials);
  const socket = tls.connect({ host: options.host, port: options.port, ...clientTlsOptions(options.credentials) });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", () => resolve());
    socket.once("error", (e) => reject(describeConnectError(e, options.host, options.port, options.credentials.kind)));
    socket.once("close", () => reject(describeConnectError(new Error("socket disconnected"), options.host, options.port, options.credentials.kind)));
  });
  socket.setNoDelay(true);
  const channel = new FrameChannel(socket);
  // A wrong PSK can surface only as the first read fails; make sure the link is really up
  // before reading any disk by waiting for the session to settle.
  return channel;
}

/** Routes the receiver's frames: ACKs and NACKs as they come, replies to whoever waits for them. */
class Inbox {
  fatal: Error | null = null;
  durableBytes = 0;
  readonly resend = new Set<number>();
  private readonly replies: Frame[] = [];
  private replyWaiter: { resolve: (f: Frame) => void; reject: (e: Error) => void } | null = null;
  private ackWaiters: (() => void)[] = [];

  constructor(
    channel: FrameChannel,
    private readonly onLimit: (bytesPerSecond: number | null) => void = () => undefined,
  ) {
    void (async () => {
      for (;;) {
        let f: Frame;
        try {
          f = await channel.next();
        } catch (error) {
          this.fail(new TransferError(`connection to the receiver lost: ${(error as Error).message}`));
          return;
        }
        try {
          this.route(f);
        } catch (error) {
          this.fail(error as Error);
          return;
        }
      }
    })();
  }

  private route(f: Frame): void {
    switch (f.type) {
      case FrameType.ack: {
        const a = ackSchema.parse(parseControlPayload(f.payload).body);
        this.durableBytes = Math.max(this.durableBytes, a.durableBytes);
        this.wakeAck();
        return;
      }
      case FrameType.nack:
        this.resend.add(nackSchema.parse(parseControlPayload(f.payload).body).index);
        return;
      case FrameType.limit:
        this.onLimit(limitSchema.parse(parseControlPayload(f.payload).body).bytesPerSecond);
        return;
      case FrameType.error:
        this.fail(new TransferError(`receiver: ${errorSchema.parse(parseControlPayload(f.payload).body).message}`));
        return;
      default:
        if (this.replyWaiter) {
          const w = this.replyWaiter;
          this.replyWaiter = null;
          w.resolve(f);
        } else this.replies.push(f);
    }
  }

  private wakeAck(): void {
    const ws = this.ackWaiters;
    this.ackWaiters = [];
    for (const w of ws) w();
  }

  private fail(error: Error): void {
    this.fatal ??= error;
    if (this.replyWaiter) {
      const w = this.replyWaiter;
      this.replyWaiter = null;
      w.reject(this.fatal);
    }
    this.wakeAck();
  }

  async expect(type: number): Promise<Frame> {
    const f = this.replies.shift() ?? (this.fatal ? null : await new Promise<Frame>((resolve, reject) => (this.replyWaiter = { resolve, reject })));
    if (!f) throw this.fatal!;
    if (f.type !== type) throw new Error(`expected frame type ${type}, got ${f.type}`);
    return f;
  }

  waitAck(): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => this.ackWaiters.push(() => (this.fatal ? reject(this.fatal) : resolve())));
  }

  resetDisk(): void {
    this.durableBytes = 0;
    this.resend.clear();
  }
}

function sourceIdOf(realPath: string, size: number): string {
  return crypto.createHash("sha256").update(`${os.hostname()}\0${realPath}\0${size}`).digest("hex").slice(0, 32);
}

function syncTablePath(stateDir: string, realPath: string, options: SendOptions, name: string): string {
  // Not keyed by port: a receiver restarted on another port holds the same copy. A table that
  // does not match the receiver is harmless: it is used only where the receiver's own hash of a
  // chunk equals the table's, and every patched chunk is checked whole on the receiver.
  const key = crypto.createHash("sha256").update(`${realPath}\0${options.host}\0${name}`).digest("hex").slice(0, 24);
  return path.join(stateDir, `${name}-${key}`);
}

interface Classified {
  extents: Buffer;
  /** null: an all-zero chunk of a scanned range, sent as a ZERO frame. */
  digest: ChunkDigest | null;
  root: Buffer;
}

/** Views of `length` bytes at `offset` of the concatenation of `parts`. */
function sliceParts(parts: readonly Buffer[], offset: number, length: number): Buffer[] {
  const out: Buffer[] = [];
  for (const p of parts) {
    if (length === 0) break;
    if (offset >= p.length) {
      offset -= p.length;
      continue;
    }
    const n = Math.min(length, p.length - offset);
    out.push(p.subarray(offset, offset + n));
    offset = 0;
    length -= n;
  }
  return out;
}

async function sendDisk(
  channel: FrameChannel,
  inbox: Inbox,
  spec: SendDiskSpec,
  options: SendOptions,
  limiter: SpeedLimit,
): Promise<DiskSendResult> {
  const started = performance.now();
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (chunkBytes % WINDOW_BYTES !== 0) throw new Error(`chunk size must be a multiple of ${WINDOW_BYTES}`);
  const realPath = await fs.realpath(spec.path);
  const info = await statTarget(realPath);
  if (info.size === null) throw new TransferError(`cannot tell the size of ${spec.path}: not a file or block device`);
  const size = info.size;
  const handle = await fs.open(realPath, "r");
  try {
    const flushed = await flushMountedFilesystems(handle, spec.path).catch((error: Error) => {
      throw new TransferError(error.message);
    });
    if (flushed.length > 0) options.log?.(`${spec.name}: wrote back ${flushed.join(", ")} before reading`);
    const layout = await detectValidLayout(handle, size);
    const chunks = planChunks(layout.ranges, chunkBytes);
    const byIndex = new Map(chunks.map((c) => [c.index, c]));
    const hello: Hello = {
      protocol: BLOCK_PROTOCOL_VERSION,
      name: spec.name,
      size,
      chunkBytes,
      chunkCount: chunks.length,
      sourceId: sourceIdOf(realPath, size),
      isSync: options.isSync,
    };
    inbox.resetDisk();
    await channel.send(controlFrame(FrameType.hello, hello));
    const readyFrame = await inbox.expect(FrameType.ready);
    const readyPayload = parseControlPayload(readyFrame.payload);
    const ready = readySchema.parse(readyPayload.body);
    limiter.setReceiverCap(ready.limitBytesPerSecond ?? null);
    const known = decodeHashTable(readyPayload.blob);
    const window = 2 * ready.checkpointBytes;

    const tablePath = syncTablePath(options.stateDir, realPath, options, spec.name);
    const previous = await fs.readFile(`${tablePath}.${DIGESTS_SUFFIX}`).then(decodeDigestTable, () => null);

    const fresh = new Map<number, Buffer>();
    const freshDigests = new Map<number, ChunkDigest>();
    const zeros = Buffer.alloc(chunkBytes);
    const compressor = options.compress ? new AdaptiveCompressor() : null;
    const totalBytes = layout.dataBytes + layout.scanBytes;
    let doneBytes = 0;
    let streamBytes = 0;
    let rawSentBytes = 0;
    let skippedChunks = 0;
    let zeroChunks = 0;
    let resentChunks = 0;
    let patchedChunks = 0;
    const wireStart = channel.bytesWritten;
    let lastProgress = 0;
    const progress = (isFinal: boolean) => {
      const now = performance.now();
      if (!isFinal && now - lastProgress < 100) return;
      lastProgress = now;
      options.onProgress?.({ name: spec.name, totalBytes, doneBytes, sentBytes: channel.bytesWritten - wireStart, elapsedMs: now - started, isFinal });
    };

    /** Puts one chunk frame on the link; `release` runs once the link is done with `body`. */
    const sendFrame = async (type: number, chunk: Chunk, head: Buffer[], body: Buffer[], release: () => void): Promise<void> => {
      if (inbox.fatal) {
        release();
        throw inbox.fatal;
      }
      const rawLength = [...head, ...body].reduce((n, p) => n + p.length, 0);
      const checksum = crc32(head);
      let wire: Buffer[] = [...head, ...body];
      let flags = 0;
      let onFlushed = release;
      const deflated = body.length > 0 && compressor ? compressor.compress(wire, rawLength) : null;
      if (deflated) {
        wire = [deflated];
        flags |= FrameFlag.deflated;
        release();
        onFlushed = () => undefined;
      }
      if (options.corruptChunk?.(chunk.index)) {
        const victim = Buffer.from(wire[wire.length - 1]!);
        victim[victim.length >> 1]! ^= 0x40;
        wire = [...wire.slice(0, -1), victim];
      }
      const wireLength = wire.reduce((n, p) => n + p.length, 0);
      // Bounded window: never run further ahead of the last durable checkpoint than this, so a
      // crash costs at most a window of re-sending.
      while (streamBytes - inbox.durableBytes > window) await inbox.waitAck();
      await limiter.take(wireLength + FRAME_HEADER_BYTES);
      const header = encodeHeader({ type, flags, disk: 0, wireLength, offset: chunk.cellStart, rawLength, checksum, seq: chunk.index });
      streamBytes += rawLength;
      rawSentBytes += rawLength;
      if (!channel.write([header, ...wire], onFlushed)) await channel.drain();
    };

    const classify = (rc: ReadChunk): Classified => {
      const extents = encodeExtents(rc.chunk);
      if (rc.chunk.isScan && rc.parts.every((p) => p.equals(zeros.subarray(0, p.length)))) {
        return { extents, digest: null, root: hashZeroChunk(extents) };
      }
      const digest = hashChunkData(extents, rc.parts);
      return { extents, digest, root: digest.root };
    };

    const sendFull = async (rc: ReadChunk, c: Classified) => {
      if (!c.digest) {
        rc.release();
        zeroChunks++;
        return sendFrame(FrameType.zero, rc.chunk, [c.extents], [], () => undefined);
      }
      return sendFrame(FrameType.data, rc.chunk, [c.digest.root, c.extents], rc.parts, rc.release);
    };

    /** Only the windows that changed since the previous pass, when the receiver holds that pass. */
    const trySendPatch = async (rc: ReadChunk, c: Classified, theirs: Buffer | undefined): Promise<boolean> => {
      const before = previous?.get(rc.chunk.index);
      if (!c.digest || !theirs || !before || !before.root.equals(theirs)) return false;
      const windows = changedWindows(before.windows, c.digest.windows);
      const pieces = windows.flatMap((w) => windowPieces(rc.chunk.extents, rc.chunk.cellStart, w, WINDOW_BYTES));
      const bytes = pieces.reduce((n, p) => n + p.length, 0);
      // Worth it whenever it carries fewer bytes: the receiver reads the rest back locally.
      if (bytes >= rc.chunk.bytes) return false;
      const list = Buffer.alloc(4 + windows.length * 4);
      list.writeUInt32LE(windows.length, 0);
      windows.forEach((w, i) => list.writeUInt32LE(w, 4 + i * 4));
      const body = pieces.flatMap((p) => sliceParts(rc.parts, p.dataOffset, p.length));
      patchedChunks++;
      await sendFrame(FrameType.patch, rc.chunk, [c.digest.root, c.extents, list], body, rc.release);
      return true;
    };

    const remember = (index: number, c: Classified) => {
      fresh.set(index, c.root);
      freshDigests.set(index, c.digest ?? { root: c.root, windows: Buffer.alloc(0) });
    };

    const resendChunk = async (index: number) => {
      const chunk = byIndex.get(index);
      if (!chunk) return;
      const rc = await readOneChunk(handle, chunk);
      const c = classify(rc);
      remember(index, c);
      resentChunks++;
      await sendFull(rc, c);
    };
    const drainResends = async () => {
      for (const index of [...inbox.resend]) {
        inbox.resend.delete(index);
        await resendChunk(index);
      }
    };

    // Reads run a few spans ahead; each chunk is hashed here, on the thread that sends it (xxHash
    // is fast enough that a hop to another thread would cost more than the hash).
    const readLimit = options.readLimitBytesPerSecond ? new SpeedLimit(options.readLimitBytesPerSecond) : null;
    const reads = readChunks(handle, chunks, {
      depth: 8,
      beforeRead: readLimit ? (bytes) => readLimit.take(bytes) : undefined,
    });
    for await (const rc of reads) {
      if (inbox.resend.size > 0) await drainResends();
      const c = classify(rc);
      remember(rc.chunk.index, c);
      doneBytes += rc.chunk.bytes;
      const theirs = known.get(rc.chunk.index);
      if (theirs?.equals(c.root)) {
        skippedChunks++;
        rc.release();
      } else if (!(await trySendPatch(rc, c, theirs))) {
        await sendFull(rc, c);
      }
      progress(false);
    }

    const planned = Buffer.allocUnsafe(chunks.length * 4);
    chunks.forEach((c, i) => planned.writeUInt32LE(c.index, i * 4));
    for (let round = 0; ; round++) {
      await drainResends();
      await channel.send(controlFrame(FrameType.end, { round }, planned));
      const hashesFrame = await inbox.expect(FrameType.hashes);
      const theirs = decodeHashTable(parseControlPayload(hashesFrame.payload).blob);
      // Every NACKed chunk also shows up as a mismatch here; send each once.
      inbox.resend.clear();
      const mismatched = chunks.filter((c) => !theirs.get(c.index)?.equals(fresh.get(c.index)!));
      if (mismatched.length === 0) break;
      if (round + 1 >= MAX_VERIFY_ROUNDS) {
        throw new TransferError(`${spec.name}: ${mismatched.length} chunks still differ after ${MAX_VERIFY_ROUNDS} rounds of re-sending`);
      }
      options.log?.(`${spec.name}: ${mismatched.length} chunks differ on the target, re-sending them`);
      for (const c of mismatched) await resendChunk(c.index);
    }
    const digest = tableDigest(fresh);
    await channel.send(controlFrame(FrameType.verified, { chunks: chunks.length, digest }));
    await inbox.expect(FrameType.done);
    progress(true);

    let changedSinceLastPass: number | null = null;
    if (previous) {
      changedSinceLastPass = 0;
      for (const [index, hash] of fresh) if (!previous.get(index)?.root.equals(hash)) changedSinceLastPass++;
    }
    await fs.mkdir(options.stateDir, { recursive: true });
    await fs.writeFile(`${tablePath}.${DIGESTS_SUFFIX}.tmp`, encodeDigestTable(freshDigests));
    await fs.rename(`${tablePath}.${DIGESTS_SUFFIX}.tmp`, `${tablePath}.${DIGESTS_SUFFIX}`);
    await fs.writeFile(
      `${tablePath}.json`,
      JSON.stringify({ source: realPath, target: `${options.host}:${options.port}`, name: spec.name, chunks: chunks.length, digest, at: new Date().toISOString() }, null, 2),
    );

    return {
      name: spec.name,
      size,
      layout: { table: layout.table, regions: layout.regions, dataBytes: layout.dataBytes, scanBytes: layout.scanBytes },
      chunks: chunks.length,
      verifiedChunks: chunks.length,
      digest,
      isResume: ready.isResume,
      skippedChunks,
      zeroChunks,
      resentChunks,
      patchedChunks,
      rawSentBytes,
      wireBytes: channel.bytesWritten - wireStart,
      changedSinceLastPass,
      elapsedMs: performance.now() - started,
    };
  } finally {
    await handle.close();
  }
}

/** Sends each disk in turn over one TLS connection; resolves only when every disk is verified. */
export async function sendDisks(options: SendOptions): Promise<DiskSendResult[]> {
  const hashReady = readyChunkHash();
  const channel = await connect(options);
  await hashReady;
  const limiter = options.speedLimit ?? new SpeedLimit(options.limitBytesPerSecond ?? null);
  const inbox = new Inbox(channel, (rate) => {
    limiter.setReceiverCap(rate);
    options.log?.(`the receiver ${rate === null ? "lifted its speed limit" : `asks for at most ${rate} bytes per second`}`);
  });
  const results: DiskSendResult[] = [];
  try {
    for (const spec of options.disks) results.push(await sendDisk(channel, inbox, spec, options, limiter));
    await channel.send(controlFrame(FrameType.bye, {}));
    await channel.end();
  } catch (error) {
    channel.socket.destroy();
    throw inbox.fatal && !(error instanceof TransferError) ? inbox.fatal : error;
  }
  return results;
}
