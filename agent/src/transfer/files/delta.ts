import crypto from "node:crypto";

/**
 * rsync's delta algorithm for a large file the target already holds in another version: the
 * receiver sends a signature of its copy (per block: a rolling weak checksum and the first 16
 * bytes of SHA-256), the sender slides over its file byte by byte where nothing matches and
 * block by block where something does, and sends COPY(block) for what the target has and the
 * literal bytes for the rest. Insertions and deletions shift data without costing more than the
 * bytes around them.
 */
export const DELTA_MIN_BYTES = 1024 * 1024;
/** Larger files are sent whole (the sender holds the file in memory to compute the delta). */
export const DELTA_MAX_BYTES = 512 * 1024 * 1024;
const STRONG_BYTES = 16;
const SIG_HEAD = 12;
const SIG_RECORD = 4 + STRONG_BYTES;

/** About sqrt(size) like rsync, in powers of two from 8 KiB to 256 KiB. */
export function deltaBlockBytes(size: number): number {
  let b = 8 * 1024;
  while (b < 256 * 1024 && b * b < size * 8) b *= 2;
  return b;
}

function weakOf(data: Uint8Array, start: number, end: number): number {
  let a = 0;
  let b = 0;
  const n = end - start;
  for (let i = 0; i < n; i++) {
    const x = data[start + i]!;
    a += x;
    b += (n - i) * x;
  }
  return ((a & 0xffff) | ((b & 0xffff) << 16)) >>> 0;
}

function strongOf(data: Uint8Array): Buffer {
  return crypto.createHash("sha256").update(data).digest().subarray(0, STRONG_BYTES);
}

/** u32 block size, f64 file size, then (u32 weak, 16-byte strong) per block of the target's file. */
export function signatureOf(data: Uint8Array, blockBytes: number): Buffer {
  const blocks = Math.ceil(data.length / blockBytes);
  const out = Buffer.allocUnsafe(SIG_HEAD + blocks * SIG_RECORD);
  out.writeUInt32LE(blockBytes, 0);
  out.writeDoubleLE(data.length, 4);
  for (let i = 0; i < blocks; i++) {
    const start = i * blockBytes;
    const end = Math.min(data.length, start + blockBytes);
    const o = SIG_HEAD + i * SIG_RECORD;
    out.writeUInt32LE(weakOf(data, start, end), o);
    strongOf(data.subarray(start, end)).copy(out, o + 4);
  }
  return out;
}

export const DeltaOp = { copy: 1, literal: 2 } as const;

export interface DeltaPiece {
  op: number;
  /** copy: the target's block index. */
  block: number;
  /** literal: [start, end) of the sender's file. */
  start: number;
  end: number;
}

export function signatureBlock(signature: Buffer): { blockBytes: number; size: number; count: number } {
  return { blockBytes: signature.readUInt32LE(0), size: signature.readDoubleLE(4), count: (signature.length - SIG_HEAD) / SIG_RECORD };
}

/** The pieces that rebuild `data` from the target's blocks and literal bytes, in order. */
export function computeDelta(data: Uint8Array, signature: Buffer): DeltaPiece[] {
  const { blockBytes: B, size, count } = signatureBlock(signature);
  const lastLen = count > 0 ? size - (count - 1) * B : 0;
  const strongAt = (i: number) => signature.subarray(SIG_HEAD + i * SIG_RECORD + 4, SIG_HEAD + (i + 1) * SIG_RECORD);
  const byWeak = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    if (i === count - 1 && lastLen !== B) continue;
    const w = signature.readUInt32LE(SIG_HEAD + i * SIG_RECORD);
    const list = byWeak.get(w);
    if (list) list.push(i);
    else byWeak.set(w, [i]);
  }
  const pieces: DeltaPiece[] = [];
  const n = data.length;
  let literalStart = 0;
  const emitLiteral = (end: number) => {
    if (end > literalStart) pieces.push({ op: DeltaOp.literal, block: 0, start: literalStart, end });
  };
  let pos = 0;
  let a = 0;
  let b = 0;
  let isRolling = false;
  while (pos + B <= n) {
    if (!isRolling) {
      const w = weakOf(data, pos, pos + B);
      a = w & 0xffff;
      b = w >>> 16;
      isRolling = true;
    }
    const list = byWeak.get((a | (b << 16)) >>> 0);
    let hit = -1;
    if (list) {
      const strong = strongOf(data.subarray(pos, pos + B));
      hit = list.find((i) => strong.equals(strongAt(i))) ?? -1;
    }
    if (hit >= 0) {
      emitLiteral(pos);
      pieces.push({ op: DeltaOp.copy, block: hit, start: 0, end: 0 });
      pos += B;
      literalStart = pos;
      isRolling = false;
      continue;
    }
    if (pos + B === n) break;
    // Roll one byte: data[pos] leaves the window, data[pos + B] enters it.
    const out = data[pos]!;
    a = (a - out + data[pos + B]!) & 0xffff;
    b = (b - B * out + a) & 0xffff;
    pos++;
  }
  // The target's shorter last block can only match the very end.
  if (lastLen > 0 && lastLen < B && n - literalStart >= lastLen && strongOf(data.subarray(n - lastLen, n)).equals(strongAt(count - 1))) {
    emitLiteral(n - lastLen);
    pieces.push({ op: DeltaOp.copy, block: count - 1, start: 0, end: 0 });
    literalStart = n;
  }
  emitLiteral(n);
  return pieces;
}
