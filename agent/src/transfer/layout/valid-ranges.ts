import type { FileHandle } from "node:fs/promises";
import { complementRanges, normalizeRanges, sumRangeBytes, type ByteRange } from "../byte-ranges";
import { readExtUsage } from "./ext-fs";
import { parseFatBootSector, readFatUsage } from "./fat-fs";
import { readPartitionTable } from "./partition-table";
import { readAtFromHandle, type ReadAt } from "./read-at";
import { readSwapHeader } from "./swap-area";

export interface RegionReport {
  start: number;
  end: number;
  /** "ext4"-style label, "vfat", "swap", "unknown" (non-zero chunks) or "gap" (outside partitions). */
  content: string;
  validBytes: number;
}

export interface ValidLayout {
  table: "mbr" | "gpt" | "none";
  regions: RegionReport[];
  ranges: ByteRange[];
  /** Bytes in "data" ranges: what must be sent whatever their content. */
  dataBytes: number;
  /** Bytes in "scan" ranges: sent only where a chunk is not all zeros. */
  scanBytes: number;
}

async function describeFilesystem(readAt: ReadAt, start: number, end: number): Promise<{ content: string; ranges: ByteRange[] }> {
  const length = end - start;
  const ext = await readExtUsage(readAt, start, length).catch(() => null);
  if (ext) return { content: "ext", ranges: ext.ranges };
  if (parseFatBootSector(await readAt(512, start))) {
    const fat = await readFatUsage(readAt, start, length).catch(() => null);
    if (fat) return { content: `vfat${fat.fatBits}`, ranges: fat.ranges };
  }
  const swap = await readSwapHeader(readAt, start);
  if (swap) return { content: "swap", ranges: swap };
  return { content: "unknown", ranges: [{ start, end, mode: "scan" }] };
}

/**
 * Decides which bytes of a disk (or partition, or image file) must be copied: partition tables and
 * gaps as they are, each filesystem's allocated blocks, and non-zero chunks of anything else.
 */
export async function detectValidLayout(handle: FileHandle, size: number): Promise<ValidLayout> {
  const readAt = readAtFromHandle(handle);
  const table = await readPartitionTable(readAt, size);
  const regions: RegionReport[] = [];
  const all: ByteRange[] = [];
  const partitions = table ? [...table.partitions].sort((a, b) => a.start - b.start) : [{ start: 0, end: size }];
  for (const p of partitions) {
    const fs = await describeFilesystem(readAt, p.start, p.end);
    const clipped = fs.ranges.map((r) => ({ ...r, start: Math.max(r.start, p.start), end: Math.min(r.end, p.end) }));
    all.push(...clipped);
    regions.push({ start: p.start, end: p.end, content: fs.content, validBytes: sumRangeBytes(clipped) });
  }
  for (const gap of complementRanges(0, size, partitions)) {
    all.push({ ...gap, mode: "scan" });
    regions.push({ ...gap, content: "gap", validBytes: gap.end - gap.start });
  }
  regions.sort((a, b) => a.start - b.start);
  const ranges = normalizeRanges(all);
  return {
    table: table?.kind ?? "none",
    regions,
    ranges,
    dataBytes: sumRangeBytes(ranges.filter((r) => r.mode === "data")),
    scanBytes: sumRangeBytes(ranges.filter((r) => r.mode === "scan")),
  };
}
