import type { ByteRange } from "../byte-ranges";
import type { ReadAt } from "./read-at";

export interface FatUsage {
  ranges: ByteRange[];
  fatBits: 12 | 16 | 32;
  usedClusters: number;
  clusterBytes: number;
}

/** Reads a FAT12/16/32 boot sector at `base`; null when it is not one (or not one we trust). */
export function parseFatBootSector(bs: Buffer) {
  if (bs.length < 512 || bs[510] !== 0x55 || bs[511] !== 0xaa) return null;
  const bytesPerSector = bs.readUInt16LE(0x0b);
  const sectorsPerCluster = bs[0x0d]!;
  const reservedSectors = bs.readUInt16LE(0x0e);
  const fatCount = bs[0x10]!;
  const rootEntries = bs.readUInt16LE(0x11);
  const totalSectors = bs.readUInt16LE(0x13) || bs.readUInt32LE(0x20);
  const fatSectors = bs.readUInt16LE(0x16) || bs.readUInt32LE(0x24);
  // The type label is informational in the spec, but requiring it keeps an MBR's boot code
  // from being taken for a filesystem.
  const label16 = bs.toString("latin1", 0x36, 0x39);
  const label32 = bs.toString("latin1", 0x52, 0x57);
  if (label16 !== "FAT" && label32 !== "FAT32") return null;
  if (![512, 1024, 2048, 4096].includes(bytesPerSector)) return null;
  if (sectorsPerCluster === 0 || (sectorsPerCluster & (sectorsPerCluster - 1)) !== 0) return null;
  if (reservedSectors === 0 || fatCount === 0 || fatCount > 4 || fatSectors === 0 || totalSectors === 0) return null;
  const rootDirSectors = Math.ceil((rootEntries * 32) / bytesPerSector);
  const firstDataSector = reservedSectors + fatCount * fatSectors + rootDirSectors;
  if (firstDataSector >= totalSectors) return null;
  const clusterCount = Math.floor((totalSectors - firstDataSector) / sectorsPerCluster);
  const fatBits: 12 | 16 | 32 = clusterCount < 4085 ? 12 : clusterCount < 65525 ? 16 : 32;
  return { bytesPerSector, sectorsPerCluster, reservedSectors, fatSectors, firstDataSector, clusterCount, fatBits, totalSectors };
}

/** Used clusters of a vfat filesystem from its first FAT; boot area, FATs and root dir always count. */
export async function readFatUsage(readAt: ReadAt, base: number, length: number): Promise<FatUsage | null> {
  const boot = parseFatBootSector(await readAt(512, base));
  if (!boot) return null;
  const { bytesPerSector, sectorsPerCluster, reservedSectors, fatSectors, firstDataSector, clusterCount, fatBits } = boot;
  if (boot.totalSectors * bytesPerSector > length) return null;
  const fat = await readAt(fatSectors * bytesPerSector, base + reservedSectors * bytesPerSector);
  const entry = (n: number): number => {
    if (fatBits === 12) {
      const v = fat.readUInt16LE(n + (n >> 1));
      return n & 1 ? v >> 4 : v & 0xfff;
    }
    if (fatBits === 16) return fat.readUInt16LE(n * 2);
    return fat.readUInt32LE(n * 4) & 0x0fffffff;
  };
  const maxEntries = Math.floor((fat.length * 8) / fatBits);
  const clusterBytes = sectorsPerCluster * bytesPerSector;
  const dataStart = base + firstDataSector * bytesPerSector;
  const ranges: ByteRange[] = [{ start: base, end: dataStart, mode: "data" }];
  let used = 0;
  for (let c = 2; c < clusterCount + 2 && c < maxEntries; c++) {
    if (entry(c) === 0) continue;
    used++;
    const start = dataStart + (c - 2) * clusterBytes;
    const last = ranges[ranges.length - 1]!;
    if (last.end === start) last.end = start + clusterBytes;
    else ranges.push({ start, end: start + clusterBytes, mode: "data" });
  }
  return { ranges, fatBits, usedClusters: used, clusterBytes };
}
