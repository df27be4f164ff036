import crypto from "node:crypto";

/**
 * rsync's delta algorithm for a large file the target already holds in another version: the
 * receiver sends a signature of its copy (per block: a rolling weak checksum and the first 16
 * bytes of SHA-256), the sender slides over its file byte by byte where nothing matches and
 * block by block where something does, and sends COPY(block) for what the target has and the
 * literal bytes for the rest. Insertions and deletions shift data without costing more than the
 * bytes around them.
 *
 * Both ends stream: the signature is built from sequential reads of the target's copy, and the
 * sender's DeltaEncoder takes its file in pieces and keeps only the block being checked and the
 * piece being scanned, so memory does not grow with the file.
 */
export const DELTA_MIN_BYTES = 1024 * 1024;
/** The most the sender's encoder takes in at once beyond one block, so its largest literal piece; tests make it tiny. */
export const DELTA_WINDOW_BYTES = 1024 * 1024;
const SIGNATURE_READ_BYTES = 4 * 1024 * 1024;
/** Blocks grow past 256 KiB only for files over 64 GiB, so a signature stays under 5 MiB. */
const MAX_SIGNATURE_BLOCKS = 256 * 1024;
const STRONG_BYTES = 16;
const SIG_HEAD = 12;
const SIG_RECORD = 4 + STRONG_BYTES;

/** About sqrt(size) like rsync, in powers of two from 8 KiB to 256 KiB, larger only to bound the block count. */
export function deltaBlockBytes(size: number): number {
  let b = 8 * 1024;
  while (b < 256 * 1024 && b * b < size * 8) b *= 2;
  while (size / b > MAX_SIGNATURE_BLOCKS) b *= 2;
  return b;
}

/**
 * rsync's weak checksum: a = sum of the bytes, b = sum of (n - i) * byte_i, both mod 2^16. Summed
 * as b += a over the prefix, in int32 arithmetic: wrapping mod 2^32 keeps the low 16 bits right.
 */
function weakOf(data: Uint8Array, start: number, end: number): number {
  let a = 0;
  let b = 0;
  for (let i = start; i < end; i++) {
    a = (a + data[i]!) | 0;
    b = (b + a) | 0;
  }
  return ((a & 0xffff) | ((b & 0xffff) << 16)) >>> 0;
}

function strongOf(data: Uint8Array): Buffer {
  return crypto.createHash("sha256").update(data).digest().subarray(0, STRONG_BYTES);
}

/** Reads up to buf.length bytes at position, fewer only at the end of the file. */
export type ReadAt = (buf: Buffer, position: number) => number;

/**
 * u32 block size, f64 file size, then (u32 weak, 16-byte strong) per block of the target's file,
 * read sequentially in buffers of about readBytes (whole blocks) up to `size` or the end of the file.
 */
export function signatureOfFile(read: ReadAt, size: number, blockBytes: number, readBytes = SIGNATURE_READ_BYTES): Buffer {
  const maxBlocks = Math.ceil(size / blockBytes);
  const out = Buffer.allocUnsafe(SIG_HEAD + maxBlocks * SIG_RECORD);
  const buf = Buffer.allocUnsafe(Math.min(Math.max(1, Math.floor(readBytes / blockBytes)) * blockBytes, Math.max(size, 1)));
  let done = 0;
  let blocks = 0;
  while (done < size) {
    const want = Math.min(buf.length, size - done);
    let got = 0;
    while (got < want) {
      const n = read(buf.subarray(got, want), done + got);
      if (n <= 0) break;
      got += n;
    }
    for (let s = 0; s < got; s += blockBytes) {
      const e = Math.min(got, s + blockBytes);
      const o = SIG_HEAD + blocks++ * SIG_RECORD;
      out.writeUInt32LE(weakOf(buf, s, e), o);
      strongOf(buf.subarray(s, e)).copy(out, o + 4);
    }
    done += got;
    if (got < want) break;
  }
  out.writeUInt32LE(blockBytes, 0);
  out.writeDoubleLE(done, 4);
  return out.subarray(0, SIG_HEAD + blocks * SIG_RECORD);
}

/** The signature of bytes in memory (tests, and files known to be small). */
export function signatureOf(data: Uint8Array, blockBytes: number): Buffer {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return signatureOfFile((buf, position) => bytes.copy(buf, 0, position, position + buf.length), data.length, blockBytes);
}

export const DeltaOp = { copy: 1, literal: 2 } as const;

export function signatureBlock(signature: Buffer): { blockBytes: number; size: number; count: number } {
  return { blockBytes: signature.readUInt32LE(0), size: signature.readDoubleLE(4), count: (signature.length - SIG_HEAD) / SIG_RECORD };
}

/** Where the encoder's output goes, in file order. */
export interface DeltaSink {
  /** The target's block `block` comes next. */
  copy(block: number): void;
  /** These bytes (file offset `start`) come next: a view of the encoder's buffer, valid only during the call. */
  literal(bytes: Buffer, start: number): void;
}

/** Multiplier of the weak checksum's hash into the prefilter bitset (Fibonacci hashing). */
const MIX = 0x9e3779b1 | 0;
/**
 * The sender's side, fed its file in order with push() and closed with finish(). Holds one buffer
 * of blockBytes + windowBytes: what is left of the last piece (less than one block: the window
 * being checked) and the next piece of at most windowBytes. Once a piece is scanned, the bytes
 * before the window are settled and go out as a literal, so nothing else is ever kept.
 */
export class DeltaEncoder {
  readonly blockBytes: number;
  /** Most bytes held in the buffer at once (its size is fixed; this says how much of it was used). */
  peakHeldBytes = 0;
  literalBytes = 0;
  copiedBlocks = 0;
  private readonly buf: Buffer;
  /** File offset of buf[0]; buf holds [base, base + end). */
  private base = 0;
  private end = 0;
  /** Index in buf of the window being checked, and of the first byte not yet emitted. */
  private pos = 0;
  private lit = 0;
  /** a and b hold the checksum of the window at pos, which was looked up and missed. */
  private isRolling = false;
  private a = 0;
  private b = 0;
  // The target's full blocks sorted by weak checksum (ties by index, so the first block wins),
  // and a bitset of their mixed checksums that turns away almost every position without a search.
  private readonly weaks: Uint32Array;
  private readonly blocks: Uint32Array;
  private readonly bits: Int32Array;
  private readonly shift: number;
  private readonly lastLen: number;
  private readonly count: number;

  constructor(
    private readonly signature: Buffer,
    private readonly sink: DeltaSink,
    windowBytes = DELTA_WINDOW_BYTES,
  ) {
    const { blockBytes, size, count } = signatureBlock(signature);
    this.blockBytes = blockBytes;
    this.count = count;
    this.lastLen = count > 0 ? size - (count - 1) * blockBytes : 0;
    const full = this.lastLen === blockBytes ? count : Math.max(0, count - 1);
    if (full >= 2 ** 21) throw new Error(`a delta signature of ${count} blocks is more than this sender handles`);
    // weak * 2^21 + index < 2^53: a plain numeric sort of one Float64Array orders both.
    const keys = new Float64Array(full);
    for (let i = 0; i < full; i++) keys[i] = signature.readUInt32LE(SIG_HEAD + i * SIG_RECORD) * 2 ** 21 + i;
    keys.sort();
    this.weaks = new Uint32Array(full);
    this.blocks = new Uint32Array(full);
    for (let k = 0; k < full; k++) {
      this.blocks[k] = keys[k]! % 2 ** 21;
      this.weaks[k] = Math.floor(keys[k]! / 2 ** 21);
    }
    // About 64 bits per block: under 2% of the positions that match nothing reach the search.
    let log2 = 16;
    while (log2 < 26 && 2 ** log2 < full * 64) log2++;
    this.bits = new Int32Array(2 ** (log2 - 5));
    this.shift = 32 - log2;
    for (let k = 0; k < full; k++) {
      const h = Math.imul(this.weaks[k]!, MIX) >>> this.shift;
      this.bits[h >>> 5] = this.bits[h >>> 5]! | (1 << (h & 31));
    }
    this.buf = Buffer.allocUnsafeSlow(blockBytes + Math.max(1, windowBytes));
  }

  /** The next bytes of the file, any length; the encoder copies what it keeps. */
  push(data: Uint8Array): void {
    let o = 0;
    while (o < data.length) {
      if (this.end === this.buf.length) this.makeRoom();
      const n = Math.min(data.length - o, this.buf.length - this.end);
      this.buf.set(data.subarray(o, o + n), this.end);
      this.end += n;
      o += n;
      if (this.end - this.lit > this.peakHeldBytes) this.peakHeldBytes = this.end - this.lit;
      this.scan();
      this.emitLiteral(this.pos);
    }
  }

  /** After the last push: the tail, which may match the target's shorter last block. */
  finish(): void {
    const { lastLen, end } = this;
    if (lastLen > 0 && lastLen < this.blockBytes && end - this.lit >= lastLen) {
      const off = SIG_HEAD + (this.count - 1) * SIG_RECORD + 4;
      if (strongOf(this.buf.subarray(end - lastLen, end)).equals(this.signature.subarray(off, off + STRONG_BYTES))) {
        this.emitLiteral(end - lastLen);
        this.emitCopy(this.count - 1);
        this.lit = end;
      }
    }
    this.emitLiteral(end);
  }

  /** Moves the partial window (all that is kept: what precedes it was emitted) to the front. */
  private makeRoom(): void {
    this.emitLiteral(this.pos);
    this.buf.copyWithin(0, this.pos, this.end);
    this.base += this.pos;
    this.end -= this.pos;
    this.lit = 0;
    this.pos = 0;
  }

  private emitLiteral(to: number): void {
    if (to <= this.lit) return;
    this.sink.literal(this.buf.subarray(this.lit, to), this.base + this.lit);
    this.literalBytes += to - this.lit;
    this.lit = to;
  }

  private emitCopy(block: number): void {
    this.sink.copy(block);
    this.copiedBlocks++;
  }

  /** Checks every window that lies wholly in the buffer. */
  private scan(): void {
    const { buf, blockBytes: B, bits, shift, end } = this;
    // Only b's value mod 2^16 matters: B mod 2^16 keeps B * byte a small integer whatever B is.
    const Bm = B & 0xffff;
    let pos = this.pos;
    let a = this.a;
    let b = this.b;
    for (;;) {
      if (!this.isRolling) {
        if (pos + B > end) break;
        const w = weakOf(buf, pos, pos + B);
        a = w & 0xffff;
        b = w >>> 16;
      } else {
        if (pos + B >= end) break;
        const out = buf[pos]!;
        a = (a - out + buf[pos + B]!) & 0xffff;
        b = (b - Bm * out + a) & 0xffff;
        pos++;
      }
      // The tight loop: look up, roll one byte, until a block matches or the buffer ends.
      const stop = end - B;
      let hit = -1;
      for (;;) {
        const h = Math.imul(a | (b << 16), MIX) >>> shift;
        if ((bits[h >>> 5]! & (1 << (h & 31))) !== 0) {
          hit = this.findBlock((a | (b << 16)) >>> 0, pos);
          if (hit >= 0) break;
        }
        if (pos === stop) break;
        const out = buf[pos]!;
        a = (a - out + buf[pos + B]!) & 0xffff;
        b = (b - Bm * out + a) & 0xffff;
        pos++;
      }
      if (hit < 0) {
        this.isRolling = true;
        break;
      }
      this.emitLiteral(pos);
      this.emitCopy(hit);
      pos += B;
      this.lit = pos;
      this.isRolling = false;
    }
    this.pos = pos;
    this.a = a;
    this.b = b;
  }

  /** The target's block with this weak checksum and the same strong hash as the window at pos, or -1. */
  private findBlock(weak: number, pos: number): number {
    const { weaks } = this;
    let lo = 0;
    let hi = weaks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (weaks[mid]! < weak) lo = mid + 1;
      else hi = mid;
    }
    if (lo === weaks.length || weaks[lo] !== weak) return -1;
    const strong = strongOf(this.buf.subarray(pos, pos + this.blockBytes));
    for (let k = lo; k < weaks.length && weaks[k] === weak; k++) {
      const off = SIG_HEAD + this.blocks[k]! * SIG_RECORD + 4;
      if (strong.equals(this.signature.subarray(off, off + STRONG_BYTES))) return this.blocks[k]!;
    }
    return -1;
  }
}
