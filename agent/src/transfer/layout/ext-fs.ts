import type { ByteRange } from "../byte-ranges";
import type { ReadAt } from "./read-at";

const EXT_MAGIC = 0xef53;
const COMPAT_SPARSE_SUPER2 = 0x200;
const INCOMPAT_META_BG = 0x10;
const INCOMPAT_64BIT = 0x80;
const RO_COMPAT_SPARSE_SUPER = 0x1;
const RO_COMPAT_GDT_CSUM = 0x10;
const RO_COMPAT_METADATA_CSUM = 0x400;
const BG_BLOCK_UNINIT = 0x2;

export interface ExtUsage {
  ranges: ByteRange[];
  blockSize: number;
  blockCount: number;
  /** Blocks the bitmaps (plus metadata we always keep) mark as used. */
  usedBlocks: number;
  /** What the superblock claims is used; the two should agree on a clean filesystem. */
  superblockUsedBlocks: number;
}

/**
 * Reads the used blocks of an ext2/3/4 filesystem starting at `base` from its own block bitmaps.
 * Returns null when there is no ext superblock, or the filesystem uses a layout we do not parse
 * (meta_bg) or does not fit its container: the caller then falls back to sending non-zero chunks.
 */
export async function readExtUsage(readAt: ReadAt, base: number, length: number): Promise<ExtUsage | null> {
  const sb = await readAt(1024, base + 1024);
  if (sb.readUInt16LE(0x38) !== EXT_MAGIC) return null;
  const logBlockSize = sb.readUInt32LE(0x18);
  if (logBlockSize > 6) return null;
  const blockSize = 1024 << logBlockSize;
  const compat = sb.readUInt32LE(0x5c);
  const incompat = sb.readUInt32LE(0x60);
  const roCompat = sb.readUInt32LE(0x64);
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const blockCount = sb.readUInt32LE(0x04) + (is64 ? sb.readUInt32LE(0x150) * 2 ** 32 : 0);
  const freeBlocks = sb.readUInt32LE(0x0c) + (is64 ? sb.readUInt32LE(0x158) * 2 ** 32 : 0);
  const firstDataBlock = sb.readUInt32LE(0x14);
  const blocksPerGroup = sb.readUInt32LE(0x20);
  const inodesPerGroup = sb.readUInt32LE(0x28);
  const inodeSize = sb.readUInt16LE(0x58) || 128;
  const descSize = is64 ? sb.readUInt16LE(0xfe) : 32;
  const reservedGdtBlocks = sb.readUInt16LE(0xce);
  if ((incompat & INCOMPAT_META_BG) !== 0) return null;
  if (blocksPerGroup === 0 || blocksPerGroup > blockSize * 8 || descSize < 32) return null;
  if (blockCount * blockSize > length || blockCount <= firstDataBlock) return null;

  const groupCount = Math.ceil((blockCount - firstDataBlock) / blocksPerGroup);
  const gdtBlocks = Math.ceil((groupCount * descSize) / blockSize);
  const gdt = await readAt(gdtBlocks * blockSize, base + (firstDataBlock + 1) * blockSize);
  // BLOCK_UNINIT is only trustworthy when descriptors are checksummed (the kernel's rule too).
  const trustUninit = (roCompat & (RO_COMPAT_GDT_CSUM | RO_COMPAT_METADATA_CSUM)) !== 0;
  const inodeTableBlocks = Math.ceil((inodesPerGroup * inodeSize) / blockSize);
  const backupGroups = [sb.readUInt32LE(0x24c), sb.readUInt32LE(0x250)];

  const hasSuper = (g: number): boolean => {
    if (g === 0) return true;
    if ((compat & COMPAT_SPARSE_SUPER2) !== 0) return backupGroups.includes(g);
    if ((roCompat & RO_COMPAT_SPARSE_SUPER) === 0) return true;
    if (g === 1) return true;
    for (const p of [3, 5, 7]) {
      let n = p;
      while (n < g) n *= p;
      if (n === g) return true;
    }
    return false;
  };

  interface Desc {
    blockBitmap: number;
    inodeBitmap: number;
    inodeTable: number;
    flags: number;
  }
  const descs: Desc[] = [];
  for (let g = 0; g < groupCount; g++) {
    const o = g * descSize;
    const hi = (off: number) => (descSize >= 64 ? gdt.readUInt32LE(o + off) * 2 ** 32 : 0);
    descs.push({
      blockBitmap: gdt.readUInt32LE(o + 0x00) + hi(0x20),
      inodeBitmap: gdt.readUInt32LE(o + 0x04) + hi(0x24),
      inodeTable: gdt.readUInt32LE(o + 0x08) + hi(0x28),
      flags: gdt.readUInt16LE(o + 0x12),
    });
  }

  // Metadata every group owns, wherever flex_bg placed it. We mark it used even where a bitmap
  // (or an uninitialised group) might not, so a superset of the real allocation is always sent.
  const metadata: { start: number; count: number }[] = [];
  for (let g = 0; g < groupCount; g++) {
    const d = descs[g]!;
    if (d.blockBitmap >= blockCount || d.inodeBitmap >= blockCount || d.inodeTable >= blockCount) return null;
    metadata.push({ start: d.blockBitmap, count: 1 });
    metadata.push({ start: d.inodeBitmap, count: 1 });
    metadata.push({ start: d.inodeTable, count: inodeTableBlocks });
    if (hasSuper(g)) {
      metadata.push({ start: firstDataBlock + g * blocksPerGroup, count: 1 + gdtBlocks + reservedGdtBlocks });
    }
  }

  const ranges: ByteRange[] = [];
  let usedBlocks = 0;
  let runStart = -1;
  const flushRun = (endBlock: number) => {
    if (runStart < 0) return;
    ranges.push({ start: base + runStart * blockSize, end: base + endBlock * blockSize, mode: "data" });
    usedBlocks += endBlock - runStart;
    runStart = -1;
  };

  for (let g = 0; g < groupCount; g++) {
    const d = descs[g]!;
    const first = firstDataBlock + g * blocksPerGroup;
    const count = Math.min(blocksPerGroup, blockCount - first);
    let bitmap: Uint8Array;
    if (trustUninit && (d.flags & BG_BLOCK_UNINIT) !== 0) {
      bitmap = new Uint8Array(Math.ceil(blocksPerGroup / 8));
    } else {
      bitmap = new Uint8Array(await readAt(Math.ceil(blocksPerGroup / 8), base + d.blockBitmap * blockSize));
    }
    for (const m of metadata) {
      const from = Math.max(m.start, first);
      const to = Math.min(m.start + m.count, first + count);
      for (let b = from; b < to; b++) bitmap[(b - first) >> 3]! |= 1 << ((b - first) & 7);
    }
    let i = 0;
    while (i < count) {
      const byte = bitmap[i >> 3]!;
      if ((i & 7) === 0 && i + 8 <= count && (byte === 0 || byte === 0xff)) {
        if (byte === 0xff) {
          if (runStart < 0) runStart = first + i;
        } else flushRun(first + i);
        i += 8;
        continue;
      }
      if ((byte >> (i & 7)) & 1) {
        if (runStart < 0) runStart = first + i;
      } else flushRun(first + i);
      i++;
    }
  }
  flushRun(blockCount);
  // The boot sector and the primary superblock sit before group 0 on 1 KiB-block filesystems.
  ranges.unshift({ start: base, end: base + Math.min(2048, blockSize * (firstDataBlock + 1)), mode: "data" });
  // Block 0 of a 1 KiB-block filesystem lies outside every group yet counts as used.
  usedBlocks += firstDataBlock;

  return {
    ranges,
    blockSize,
    blockCount,
    usedBlocks,
    superblockUsedBlocks: blockCount - freeBlocks,
  };
}
