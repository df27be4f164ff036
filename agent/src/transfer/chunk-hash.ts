import crypto from "node:crypto";

export const HASH_BYTES = 32;
export const DATA_TAG_BYTE = 1;
export const ZERO_TAG_BYTE = 0;
const DATA_TAG = Buffer.from([DATA_TAG_BYTE]);
const ZERO_TAG = Buffer.from([ZERO_TAG_BYTE]);

/**
 * SHA-256 of what a chunk means on the target: its extent list and its bytes. An all-zero chunk
 * hashes its extent list alone (it travels without bytes); the tag keeps the two apart.
 */
export function hashChunk(extents: Buffer, data: Buffer | null): Buffer {
  const h = crypto.createHash("sha256");
  if (data) h.update(DATA_TAG).update(extents).update(data);
  else h.update(ZERO_TAG).update(extents);
  return h.digest();
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
