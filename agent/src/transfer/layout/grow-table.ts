/**
 * Re-partitions a larger target from the source's layout once the copy is verified: the copied
 * table is rewritten to fit the target (GPT: backup moved to the end; last partition grown if
 * asked). Partitions keep their starts and their bytes; filesystems are not resized.
 */
import type { FileHandle } from "node:fs/promises";
import { planGptGrowth } from "./grow-gpt";
import { planMbrGrowth } from "./grow-mbr";
import { readPartitionTable } from "./partition-table";
import { readAtFromHandle, type ReadAt } from "./read-at";
import type { TableGrowth, TableGrowthOptions } from "./table-growth";

/**
 * Null when the copy holds no partition table as the sender saw it (readPartitionTable on the
 * source's size): a bare filesystem's boot sector must never be taken for an MBR and "grown".
 */
export async function planTableGrowth(readAt: ReadAt, sourceSize: number, targetSize: number, options: TableGrowthOptions = {}): Promise<TableGrowth | null> {
  const table = await readPartitionTable(readAt, sourceSize);
  if (!table) return null;
  return table.kind === "gpt" ? planGptGrowth(readAt, targetSize, options) : planMbrGrowth(readAt, targetSize, options);
}

/** Applies the writes in order, making each barrier durable before going on. */
export async function writeTableGrowth(handle: FileHandle, growth: TableGrowth): Promise<void> {
  for (const w of growth.writes) {
    let done = 0;
    while (done < w.bytes.length) {
      const { bytesWritten } = await handle.write(w.bytes, done, w.bytes.length - done, w.position + done);
      if (bytesWritten === 0) throw new Error(`writing the partition table at byte ${w.position + done} wrote nothing`);
      done += bytesWritten;
    }
    if (w.isBarrier) await handle.datasync();
  }
}

/**
 * Plans and writes the table's growth on a target of `targetSize` bytes holding a verified copy
 * of a `sourceSize`-byte disk. Null when the target is not larger or has no partition table.
 */
export async function growTargetTable(handle: FileHandle, sourceSize: number, targetSize: number, options: TableGrowthOptions = {}): Promise<TableGrowth | null> {
  if (targetSize <= sourceSize) return null;
  const growth = await planTableGrowth(readAtFromHandle(handle), sourceSize, targetSize, options);
  if (growth) await writeTableGrowth(handle, growth);
  return growth;
}
