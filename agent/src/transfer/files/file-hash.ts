import crypto from "node:crypto";
import { loadNativeFs } from "./native/native-fs";

/**
 * A file's content hash, the same on both ends whichever way its bytes travelled: a file of up to
 * one cell hashes as 16 bytes of XXH64 under two seeds (the addon's hash16, tag 3), computed where
 * its bytes are (the walker, the writer); a larger one as SHA-256(0x02 || size || its cells'
 * hashes), each cell hashed the same way under tag 4, and a hole as a known constant without
 * reading it. It detects damage and change, not forgery: TLS authenticates the link, and the
 * source's own bytes are what is hashed. A SHA-256 object per small file cost more than reading
 * the file. Nothing here loads hash-wasm (the block-level chunk hash): every thread of a file
 * transfer starts without compiling it.
 */
export const CELL_BYTES = 4 * 1024 * 1024;
const TREE_TAG = 2;
const SMALL_TAG = 3;
const CELL_TAG = 4;
const native = loadNativeFs();

export function smallFileHash(data: Uint8Array): Buffer {
  return native.hash16(data, SMALL_TAG);
}

export function cellHash(data: Uint8Array): Buffer {
  return native.hash16(data, CELL_TAG);
}

const zeroCells = new Map<number, Buffer>();

export function zeroCellHash(length: number): Buffer {
  let h = zeroCells.get(length);
  if (!h) {
    h = cellHash(Buffer.alloc(length));
    zeroCells.set(length, h);
  }
  return h;
}

export function cellCount(size: number): number {
  return Math.max(1, Math.ceil(size / CELL_BYTES));
}

export function cellLength(size: number, index: number): number {
  return Math.max(0, Math.min(CELL_BYTES, size - index * CELL_BYTES));
}

/** For files larger than one cell (smaller ones use smallFileHash). */
export function fileHashFromCells(size: number, cells: readonly Buffer[]): Buffer {
  const h = crypto.createHash("sha256");
  const head = Buffer.alloc(9);
  head[0] = TREE_TAG;
  head.writeDoubleLE(size, 1);
  h.update(head);
  for (const c of cells) h.update(c);
  return h.digest();
}
