import crypto from "node:crypto";
import type { IHasher } from "hash-wasm";
import { loadNativeFs, type NativeFs } from "./files/native/native-fs";

/** Bytes of a chunk's root hash (XXH128). */
export const HASH_BYTES = 16;
export const DATA_TAG_BYTE = 1;
export const ZERO_TAG_BYTE = 0;
/**
 * Chunks are hashed as a two-level tree over fixed windows of the grid cell. The windows are what
 * an incremental pass compares, so a changed 4 KiB block costs one window on the wire, not a chunk.
 */
export const WINDOW_BYTES = 16 * 1024;
/** One window's record: u32 window index in the chunk, its 8-byte XXH64. */
export const WINDOW_RECORD_BYTES = 4 + 8;

/**
 * The chunk hash, fast enough to run on the thread that moves the bytes (about 8 GB/s; SHA-256
 * manages 1.5): xxHash from hash-wasm, which is WebAssembly and so needs no compiler.
 *
 *   window digest = XXH64(window's bytes || (u32 offset in window, u32 length) per piece)
 *   windows       = (u32 window index || window digest) for each window the extents touch
 *   root          = XXH128(0x01 || extent list || windows)
 *
 * It detects damage and change, not forgery: TLS authenticates every byte on the link, and the
 * source's own data is what is hashed. The pieces' positions are in the window digest so that a
 * block that stops or starts being allocated changes the window even when its bytes do not.
 */
let windowHash: IHasher | null = null;
let rootHash: IHasher | null = null;
let loading: Promise<void> | null = null;

/**
 * Loads hash-wasm and makes the two hashers, once: the block-level sender and receiver await this
 * before their first chunk. Loading it is left to them so that a file transfer, and every worker
 * thread, starts without compiling it (it cost each thread about 75 ms).
 */
export function readyChunkHash(): Promise<void> {
  loading ??= (async () => {
    const { createXXHash64, createXXHash128 } = await import("hash-wasm");
    [windowHash, rootHash] = await Promise.all([createXXHash64(), createXXHash128()]);
  })();
  return loading;
}

function loaded(h: IHasher | null): IHasher {
  if (!h) throw new Error("the chunk hash was used before readyChunkHash() resolved");
  return h;
}

export interface ChunkDigest {
  root: Buffer;
  /** WINDOW_RECORD_BYTES per window the chunk's extents touch, in window order. */
  windows: Buffer;
}

/**
 * The agent's native addon computes the same window records without copying every byte into
 * WebAssembly memory first (that copy cost as much as the hashing): used when this host has the
 * addon (built once with its C compiler, or fetched from the console), hash-wasm otherwise.
 * FERRY_CHUNK_HASH=wasm forces hash-wasm.
 */
let native: NativeFs | null | undefined;

function nativeHasher(): NativeFs | null {
  if (native === undefined) {
    try {
      native = process.env.FERRY_CHUNK_HASH === "wasm" ? null : loadNativeFs();
    } catch {
      native = null;
    }
  }
  return native;
}

/** The chunk hash over its extent list (chunk-plan.ts encoding) and its data parts, in order. */
export function hashChunkData(ext: Uint8Array, parts: readonly Uint8Array[], windowsBy: "auto" | "wasm" = "auto"): ChunkDigest {
  const fast = windowsBy === "auto" ? nativeHasher() : null;
  const windows = fast ? fast.chunkWindows(ext, parts) : windowRecordsWasm(ext, parts);
  const h = loaded(rootHash);
  h.init();
  h.update(Uint8Array.of(DATA_TAG_BYTE));
  h.update(ext);
  h.update(windows);
  return { root: Buffer.from(h.digest("binary")), windows };
}

function windowRecordsWasm(ext: Uint8Array, parts: readonly Uint8Array[]): Buffer {
  const windowHasher = loaded(windowHash);
  const dv = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  const count = dv.getUint32(0, true);
  const records: Buffer[] = [];
  let part = 0;
  let partPos = 0;
  let current = -1;
  let pieces: number[] = [];
  const finish = () => {
    if (current < 0) return;
    const enc = Buffer.allocUnsafe(pieces.length * 4);
    pieces.forEach((v, i) => enc.writeUInt32LE(v, i * 4));
    windowHasher.update(enc);
    const rec = Buffer.allocUnsafe(WINDOW_RECORD_BYTES);
    rec.writeUInt32LE(current, 0);
    rec.set(windowHasher.digest("binary"), 4);
    records.push(rec);
    current = -1;
    pieces = [];
  };
  for (let i = 0; i < count; i++) {
    let pos = dv.getUint32(4 + i * 8, true);
    const end = pos + dv.getUint32(8 + i * 8, true);
    while (pos < end) {
      const w = Math.floor(pos / WINDOW_BYTES);
      if (w !== current) {
        finish();
        current = w;
        windowHasher.init();
      }
      const take = Math.min(end, (w + 1) * WINDOW_BYTES) - pos;
      pieces.push(pos - w * WINDOW_BYTES, take);
      let left = take;
      while (left > 0) {
        const p = parts[part];
        if (!p) throw new Error("chunk data shorter than its extents");
        const n = Math.min(left, p.length - partPos);
        windowHasher.update(p.subarray(partPos, partPos + n));
        partPos += n;
        left -= n;
        if (partPos === p.length) {
          part++;
          partPos = 0;
        }
      }
      pos += take;
    }
  }
  finish();
  return Buffer.concat(records);
}

/** An all-zero chunk travels as its extent list alone and hashes as such; the tag keeps it apart. */
export function hashZeroChunk(extents: Uint8Array): Buffer {
  const h = loaded(rootHash);
  h.init();
  h.update(Uint8Array.of(ZERO_TAG_BYTE));
  h.update(extents);
  return Buffer.from(h.digest("binary"));
}

/** Window indexes whose digest differs between two window lists (or that only `next` has). */
export function changedWindows(previous: Buffer, next: Buffer): number[] {
  const old = new Map<number, Buffer>();
  for (let o = 0; o + WINDOW_RECORD_BYTES <= previous.length; o += WINDOW_RECORD_BYTES) {
    old.set(previous.readUInt32LE(o), previous.subarray(o + 4, o + WINDOW_RECORD_BYTES));
  }
  const changed: number[] = [];
  for (let o = 0; o + WINDOW_RECORD_BYTES <= next.length; o += WINDOW_RECORD_BYTES) {
    const w = next.readUInt32LE(o);
    if (!old.get(w)?.equals(next.subarray(o + 4, o + WINDOW_RECORD_BYTES))) changed.push(w);
  }
  return changed;
}

/** Hash tables travel and persist as (u32 chunk index, 32-byte hash) records. */
export const HASH_RECORD_BYTES = 4 + HASH_BYTES;

export function encodeHashTable(table: ReadonlyMap<number, Buffer>): Buffer {
  const out = Buffer.allocUnsafe(table.size * HASH_RECORD_BYTES);
  let o = 0;
  for (const [index, hash] of table) {
    out.writeUInt32LE(index, o);
    hash.copy(out, o + 4);
    o += HASH_RECORD_BYTES;
  }
  return out;
}

export function decodeHashTable(buf: Buffer): Map<number, Buffer> {
  const table = new Map<number, Buffer>();
  for (let o = 0; o + HASH_RECORD_BYTES <= buf.length; o += HASH_RECORD_BYTES) {
    table.set(buf.readUInt32LE(o), Buffer.from(buf.subarray(o + 4, o + HASH_RECORD_BYTES)));
  }
  return table;
}

/**
 * The sender's table of a successful pass: per chunk its root and its window digests, so the next
 * --sync pass can send only the windows that changed. Records: u32 index, u32 window bytes, root, windows.
 */
export function encodeDigestTable(table: ReadonlyMap<number, ChunkDigest>): Buffer {
  const parts: Buffer[] = [];
  for (const [index, d] of table) {
    const head = Buffer.allocUnsafe(8);
    head.writeUInt32LE(index, 0);
    head.writeUInt32LE(d.windows.length, 4);
    parts.push(head, d.root, d.windows);
  }
  return Buffer.concat(parts);
}

export function decodeDigestTable(buf: Buffer): Map<number, ChunkDigest> {
  const table = new Map<number, ChunkDigest>();
  let o = 0;
  while (o + 8 + HASH_BYTES <= buf.length) {
    const index = buf.readUInt32LE(o);
    const n = buf.readUInt32LE(o + 4);
    const end = o + 8 + HASH_BYTES + n;
    if (end > buf.length) break;
    table.set(index, { root: Buffer.from(buf.subarray(o + 8, o + 8 + HASH_BYTES)), windows: Buffer.from(buf.subarray(o + 8 + HASH_BYTES, end)) });
    o = end;
  }
  return table;
}

/** One hash over an ordered table: what both sides print and keep as the copy's fingerprint. */
export function tableDigest(table: ReadonlyMap<number, Buffer>): string {
  const h = crypto.createHash("sha256");
  for (const index of [...table.keys()].sort((a, b) => a - b)) {
    const rec = Buffer.allocUnsafe(4);
    rec.writeUInt32LE(index, 0);
    h.update(rec).update(table.get(index)!);
  }
  return h.digest("hex");
}
