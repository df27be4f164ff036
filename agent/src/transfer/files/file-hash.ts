import crypto from "node:crypto";
import { hashChunkData } from "../chunk-hash";

/**
 * A file's content hash, the same on both ends whichever way its bytes travelled: a file of up to
 * one cell hashes as SHA-256(0x03 || content), computed where its bytes are (the walker, the
 * writer); a larger one as SHA-256(0x02 || size || its cells' hashes), each cell hashed as a
 * block-level chunk of one extent (chunk-hash.ts, xxHash: fast enough for the thread that moves the bytes), and
 * a hole as a known constant without reading it.
 */
export const CELL_BYTES = 4 * 1024 * 1024;
const TREE_TAG = 2;
const SMALL_TAG = Uint8Array.of(3);

export function smallFileHash(data: Uint8Array): Buffer {
  return crypto.createHash("sha256").update(SMALL_TAG).update(data).digest();
}

function oneExtent(length: number): Buffer {
  const ext = Buffer.alloc(12);
  ext.writeUInt32LE(1, 0);
  ext.writeUInt32LE(length, 8);
  return ext;
}

export function cellHash(data: Uint8Array): Buffer {
  return hashChunkData(oneExtent(data.length), [data]).root;
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
