/**
 * The receiver's step after a disk is verified: when the target device is larger than the source,
 * fit the copied partition table to it (layout/grow-table.ts).
 *
 * The rewritten sectors no longer hold what the sender's chunks hashed to, so before writing, the
 * chunks they fall in are durably withdrawn from the receiver's log (as any overwrite does). A
 * later --sync pass then re-sends those chunks, verifies, and grows the table again; a crash
 * half-way leaves chunks the log does not vouch for, never a hash that lies.
 */
import fs from "node:fs/promises";
import { statTarget } from "./device-size";
import { planTableGrowth, writeTableGrowth } from "./layout/grow-table";
import { readAtFromHandle } from "./layout/read-at";
import type { TableGrowth } from "./layout/table-growth";
import type { TargetState } from "./receiver-state";

export interface TargetGrowOptions {
  /**
   * On a larger target, grow the partition that ends last to the end of the disk (default true).
   * A GPT's backup header moves to the end of the disk either way: elsewhere it is invalid.
   */
  growLastPartition?: boolean;
  log?: (line: string) => void;
}

/** Chunk indexes (of `chunkBytes`) that bytes below `limit` written by `growth` fall in. */
export function chunksTouched(growth: TableGrowth, chunkBytes: number, limit: number): number[] {
  const indexes = new Set<number>();
  for (const w of growth.writes) {
    if (w.position >= limit) continue;
    const end = Math.min(w.position + w.bytes.length, limit);
    for (let i = Math.floor(w.position / chunkBytes); i * chunkBytes < end; i++) indexes.add(i);
  }
  return [...indexes].sort((a, b) => a - b);
}

export async function growTargetAfterVerify(targetPath: string, sourceSize: number, state: TargetState, options: TargetGrowOptions = {}): Promise<TableGrowth | null> {
  const target = await statTarget(targetPath);
  // Image files are truncated to the source's size: only a device can be larger.
  if (target.size === null || target.size <= sourceSize) return null;
  const log = options.log ?? (() => undefined);
  const name = state.meta.name;
  const handle = await fs.open(targetPath, "r+");
  try {
    const growth = await planTableGrowth(readAtFromHandle(handle), sourceSize, target.size, { growLastPartition: options.growLastPartition ?? true });
    if (!growth) return null;
    if (growth.skippedReason) log(`${name}: the target is ${target.size - sourceSize} bytes larger than the source, but ${growth.skippedReason}`);
    if (growth.writes.length === 0) return growth;
    await state.invalidate(chunksTouched(growth, state.meta.chunkBytes, sourceSize));
    await writeTableGrowth(handle, growth);
    for (const change of growth.changes) log(`${name}: ${change}`);
    log(`${name}: ${growth.kind.toUpperCase()} fitted to the target's ${target.size} bytes; grow the filesystem inside after launch (resize2fs, xfs_growfs)`);
    return growth;
  } finally {
    await handle.close();
  }
}
