/**
 * The wire format inside the TLS stream: a fixed 32-byte header, then `wireLength` payload bytes.
 *
 *   0 u8  type          4 u32 wireLength (payload bytes that follow)
 *   1 u8  flags         8 u64 offset     (DATA/ZERO: start of the chunk's grid cell)
 *   2 u16 disk         16 u32 rawLength  (payload bytes after decompression)
 *                      20 u32 checksum   (CRC-32, see below)
 *                      24 u64 seq        (DATA/ZERO/PATCH: chunk index)
 *
 * TLS already authenticates the bytes on the wire; the checks guard the path between reading the
 * source and writing the target. Control and ZERO frames: CRC-32 of the raw payload. DATA and
 * PATCH frames open with the chunk's xxHash tree root (chunk-hash.ts), which the receiver
 * recomputes before writing a byte; their CRC-32 covers only the head before the data (root,
 * extent list, window list), so a damaged head is told from a damaged chunk without a second
 * pass over every byte.
 *
 * A control frame whose payload passes CONTROL_PART_BYTES (the target's index of a large tree,
 * the chunk hashes of a disk past a few TiB) goes as several frames of its type, each but the
 * last flagged CONTINUED; the first one's offset is the whole payload's length, each next one's
 * where its part goes. The decoder joins them: readers see one frame.
 */
import zlib from "node:zlib";
import { bufferPool } from "./buffer-pool";

export const FRAME_HEADER_BYTES = 32;
/** Larger than any chunk plus its extent list; a length above it means a broken or hostile peer. */
export const MAX_FRAME_PAYLOAD = 64 * 1024 * 1024;

export const FrameType = {
  hello: 1,
  ready: 2,
  data: 3,
  zero: 4,
  end: 5,
  hashes: 6,
  nack: 7,
  ack: 8,
  verified: 9,
  done: 10,
  error: 11,
  bye: 12,
  /** Only some windows of a chunk the receiver holds in its previous version (--sync). */
  patch: 13,
  /** Receiver to sender: a new speed limit, set while the transfer runs. */
  limit: 14,
  /** Opens a file-level session; types 32-47 belong to it (files/file-frames.ts). */
  filesHello: 32,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

export const FrameFlag = { deflated: 1, continued: 2 } as const;

/** A control frame's payload goes in frames of at most this many bytes. */
export const CONTROL_PART_BYTES = 16 * 1024 * 1024;
/** The longest payload the decoder joins from parts (a hostile peer could announce any length). */
export const MAX_JOINED_PAYLOAD = 2 * 1024 * 1024 * 1024 - 1;

export interface FrameHeader {
  type: number;
  flags: number;
  disk: number;
  wireLength: number;
  offset: number;
  rawLength: number;
  checksum: number;
  seq: number;
}

export interface Frame extends FrameHeader {
  payload: Buffer;
  /** Hands a large payload's pooled buffer back; the payload must not be used afterwards. */
  release?: () => void;
  /** Joined from parts: the payload is the whole of a buffer nothing else holds (it may move to another thread). */
  isJoined?: boolean;
}

export function crc32(parts: readonly Buffer[]): number {
  let crc = 0;
  for (const p of parts) crc = zlib.crc32(p, crc);
  return crc;
}

export function encodeHeader(h: Omit<FrameHeader, "wireLength"> & { wireLength: number }): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  b.writeUInt8(h.type, 0);
  b.writeUInt8(h.flags, 1);
  b.writeUInt16LE(h.disk, 2);
  b.writeUInt32LE(h.wireLength, 4);
  b.writeBigUInt64LE(BigInt(h.offset), 8);
  b.writeUInt32LE(h.rawLength, 16);
  b.writeUInt32LE(h.checksum >>> 0, 20);
  b.writeBigUInt64LE(BigInt(h.seq), 24);
  return b;
}

export function decodeHeader(b: Buffer): FrameHeader {
  return {
    type: b.readUInt8(0),
    flags: b.readUInt8(1),
    disk: b.readUInt16LE(2),
    wireLength: b.readUInt32LE(4),
    offset: Number(b.readBigUInt64LE(8)),
    rawLength: b.readUInt32LE(16),
    checksum: b.readUInt32LE(20),
    seq: Number(b.readBigUInt64LE(24)),
  };
}

/**
 * Builds a control frame whose payload is JSON, optionally followed by a binary blob: one frame,
 * or several of at most partBytes each (see CONTINUED above), header and payload pieces in order.
 */
export function controlFrame(type: number, body: unknown, blob?: Buffer, partBytes = CONTROL_PART_BYTES): Buffer[] {
  const json = Buffer.from(JSON.stringify(body ?? null));
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32LE(json.length, 0);
  const parts = blob ? [len, json, blob] : [len, json];
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (total <= partBytes) return [encodeHeader({ type, flags: 0, disk: 0, wireLength: total, offset: 0, rawLength: total, checksum: crc32(parts), seq: 0 }), ...parts];
  if (total > MAX_JOINED_PAYLOAD) throw new Error(`a control frame of ${total} bytes is past the protocol's limit`);
  // Views of the pieces, not a copy: the index of a large tree is tens of MiB.
  const out: Buffer[] = [];
  let piece = 0;
  let inPiece = 0;
  for (let at = 0; at < total; ) {
    const frame: Buffer[] = [];
    let n = 0;
    while (n < partBytes && at + n < total) {
      const p = parts[piece]!;
      const k = Math.min(p.length - inPiece, partBytes - n);
      frame.push(p.subarray(inPiece, inPiece + k));
      n += k;
      inPiece += k;
      if (inPiece === p.length) {
        piece++;
        inPiece = 0;
      }
    }
    const isLast = at + n === total;
    out.push(encodeHeader({ type, flags: isLast ? 0 : FrameFlag.continued, disk: 0, wireLength: n, offset: at === 0 ? total : at, rawLength: n, checksum: crc32(frame), seq: 0 }), ...frame);
    at += n;
  }
  return out;
}

export function parseControlPayload(payload: Buffer): { body: unknown; blob: Buffer } {
  if (payload.length < 4) throw new Error("control frame truncated");
  const n = payload.readUInt32LE(0);
  if (4 + n > payload.length) throw new Error("control frame truncated");
  return { body: JSON.parse(payload.toString("utf8", 4, 4 + n)), blob: payload.subarray(4 + n) };
}

/** Splits a byte stream into frames; keeps a list of pieces so big payloads are copied once. */
export class FrameDecoder {
  private pieces: Buffer[] = [];
  private buffered = 0;
  private header: FrameHeader | null = null;
  /** A control frame coming in parts: its first header and the payload joined so far. */
  private joining: { header: FrameHeader; payload: Buffer; filled: number } | null = null;

  push(data: Buffer): Frame[] {
    this.pieces.push(data);
    this.buffered += data.length;
    const frames: Frame[] = [];
    for (;;) {
      if (!this.header) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        this.header = decodeHeader(this.take(FRAME_HEADER_BYTES));
        if (this.header.wireLength > MAX_FRAME_PAYLOAD || this.header.rawLength > MAX_FRAME_PAYLOAD) {
          throw new Error(`frame of ${this.header.wireLength} bytes exceeds the protocol limit`);
        }
      }
      if (this.buffered < this.header.wireLength) break;
      const n = this.header.wireLength;
      if (this.joining || this.header.flags & FrameFlag.continued) {
        const joined = this.join(this.header);
        if (joined) frames.push(joined);
      } else if (n >= 64 * 1024) {
        // Large payloads go to pooled buffers: one copy, no garbage per frame.
        const pooled = bufferPool.acquire(n);
        this.copyInto(pooled.buf);
        frames.push({ ...this.header, payload: pooled.buf, release: pooled.release });
      } else frames.push({ ...this.header, payload: this.take(n) });
      this.header = null;
    }
    return frames;
  }

  /** Adds one part of a control frame; returns the frame when it was the last. */
  private join(h: FrameHeader): Frame | null {
    if (!this.joining) {
      if (h.offset > MAX_JOINED_PAYLOAD || h.offset < h.wireLength) throw new Error(`a control frame of ${h.offset} bytes in parts exceeds the protocol limit`);
      this.joining = { header: h, payload: Buffer.allocUnsafeSlow(h.offset), filled: 0 };
    } else if (h.type !== this.joining.header.type || h.offset !== this.joining.filled) {
      throw new Error(`a part of frame type ${this.joining.header.type} at ${this.joining.filled} was expected, not type ${h.type} at ${h.offset}`);
    }
    const j = this.joining;
    if (j.filled + h.wireLength > j.payload.length) throw new Error("a control frame's parts are longer than announced");
    this.copyInto(j.payload.subarray(j.filled, j.filled + h.wireLength));
    j.filled += h.wireLength;
    if (h.flags & FrameFlag.continued) return null;
    this.joining = null;
    if (j.filled !== j.payload.length) throw new Error("a control frame's parts are shorter than announced");
    return { ...j.header, flags: j.header.flags & ~FrameFlag.continued, wireLength: j.filled, rawLength: j.filled, offset: 0, payload: j.payload, isJoined: true };
  }

  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.pieces[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.pieces.shift();
      else this.pieces[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    this.buffered += n;
    this.copyInto(out);
    return out;
  }

  private copyInto(out: Buffer): void {
    const n = out.length;
    this.buffered -= n;
    let filled = 0;
    while (filled < n) {
      const p = this.pieces[0]!;
      const k = Math.min(p.length, n - filled);
      p.copy(out, filled, 0, k);
      filled += k;
      if (k === p.length) this.pieces.shift();
      else this.pieces[0] = p.subarray(k);
    }
  }
}
