import type { FileHandle } from "node:fs/promises";
import { complementRanges, normalizeRanges, sumRangeBytes, type ByteRange } from "../byte-ranges";
import { DEFAULT_CHUNK_BYTES } from "../chunk-plan";
import { readExtUsage } from "./ext-fs";
import { parseFatBootSector, readFatUsage } from "./fat-fs";
import { readPartitionTable } from "./partition-table";
import { readAtFromHandle, type ReadAt } from "./read-at";
import { findFileHoles, markHoles, type Hole } from "./sparse-holes";
import { readSwapHeader } from "./swap-area";
import { readWriteMountedRanges } from "./mounted-ranges";
import { readXfsUsage } from "./xfs-fs";

export interface RegionReport {
  start: number;
  end: number;
  /** "ext4"-style label, "vfat", "xfs", "swap", "unknown" (non-zero chunks) or "gap" (outside partitions). */
  content: string;
  /** Bytes to send or to read for zeros (holes of a sparse image file not counted). */
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
  /** Bytes of "scan" ranges in holes of a sparse image file: zeros on the target, never read. */
  holeBytes: number;
}

async function describeFilesystem(readAt: ReadAt, start: number, end: number, isMountedWritable: boolean): Promise<{ content: string; ranges: ByteRange[] }> {
  const length = end - start;
  const ext = await readExtUsage(readAt, start, length).catch(() => null);
  if (ext) return { content: "ext", ranges: ext.ranges };
  if (parseFatBootSector(await readAt(512, start))) {
    const fat = await readFatUsage(readAt, start, length).catch(() => null);
    if (fat) return { content: `vfat${fat.fatBits}`, ranges: fat.ranges };
  }
  const xfs = await readXfsUsage(readAt, start, length).catch(() => null);
  // Mounted read-write, its trees on disk may lag its log: see mounted-ranges.ts.
  if (xfs && isMountedWritable) return { content: "xfs (mounted read-write: scanned, its map on disk may lag its log)", ranges: [{ start, end, mode: "scan" }] };
  if (xfs) return { content: "xfs", ranges: xfs.ranges };
  const swap = await readSwapHeader(readAt, start);
  if (swap) return { content: "swap", ranges: swap };
  return { content: "unknown", ranges: [{ start, end, mode: "scan" }] };
}

/** Bytes of ranges that are read: all but holes. */
const readBytes = (ranges: readonly ByteRange[]) => sumRangeBytes(ranges.filter((r) => r.mode !== "hole"));

/**
 * Decides which bytes of a disk (or partition, or image file) must be copied: partition tables and
 * gaps as they are, each filesystem's allocated blocks, and non-zero chunks of anything else;
 * where an image file is sparse, its holes in that "anything else" are zeros without reading.
 */
export async function detectValidLayout(handle: FileHandle, size: number): Promise<ValidLayout> {
  const readAt = readAtFromHandle(handle);
  const table = await readPartitionTable(readAt, size);
  const regions: RegionReport[] = [];
  const all: ByteRange[] = [];
  const partitions = table ? [...table.partitions].sort((a, b) => a.start - b.start) : [{ start: 0, end: size }];
  let holes: Hole[] | null | undefined;
  // The addon is loaded (built, the first time) only when there is something to scan.
  const withHoles = async (ranges: ByteRange[]) => {
    if (!ranges.some((r) => r.mode === "scan" && r.end - r.start >= DEFAULT_CHUNK_BYTES)) return ranges;
    if (holes === undefined) holes = await findFileHoles(handle, size, DEFAULT_CHUNK_BYTES);
    return holes ? markHoles(ranges, holes) : ranges;
  };
  const mounted = await readWriteMountedRanges(handle).catch(() => []);
  for (const p of partitions) {
    const isMountedWritable = mounted.some((m) => m.start < p.end && p.start < m.end);
    const fs = await describeFilesystem(readAt, p.start, p.end, isMountedWritable);
    const clipped = await withHoles(fs.ranges.map((r) => ({ ...r, start: Math.max(r.start, p.start), end: Math.min(r.end, p.end) })));
    all.push(...clipped);
    regions.push({ start: p.start, end: p.end, content: fs.content, validBytes: readBytes(clipped) });
  }
  for (const gap of complementRanges(0, size, partitions)) {
    const ranges = await withHoles([{ ...gap, mode: "scan" }]);
    all.push(...ranges);
    regions.push({ ...gap, content: "gap", validBytes: readBytes(ranges) });
  }
  regions.sort((a, b) => a.start - b.start);
  const ranges = normalizeRanges(all);
  return {
    table: table?.kind ?? "none",
    regions,
    ranges,
    dataBytes: sumRangeBytes(ranges.filter((r) => r.mode === "data")),
    scanBytes: sumRangeBytes(ranges.filter((r) => r.mode === "scan")),
    holeBytes: sumRangeBytes(ranges.filter((r) => r.mode === "hole")),
  };
}
