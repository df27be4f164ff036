/**
 * Fits a GPT copied from a smaller disk to its larger target: the backup header and entry array
 * move to the target's last sectors, the primary header points at them and widens its usable
 * area, and (if asked) the partition that ends last grows to the end of that area. The
 * filesystem inside is not touched: resize2fs or xfs_growfs do that once the server runs.
 */
import zlib from "node:zlib";
import type { ReadAt } from "./read-at";
import { chsBytes, type TableGrowth, type TableGrowthOptions, type TableWrite } from "./table-growth";

const SIGNATURE = "EFI PART";
const MIN_HEADER_BYTES = 92;
const MIN_ENTRY_BYTES = 128;
const MAX_ENTRY_ARRAY_BYTES = 1024 * 1024;
const PROTECTIVE_TYPE = 0xee;

/** Header fields by offset (UEFI spec, table 5-5). */
const H = {
  headerSize: 0x0c,
  headerCrc: 0x10,
  myLba: 0x18,
  alternateLba: 0x20,
  firstUsableLba: 0x28,
  lastUsableLba: 0x30,
  entriesLba: 0x48,
  entryCount: 0x50,
  entrySize: 0x54,
  entriesCrc: 0x58,
} as const;

interface GptHeader {
  /** The whole sector as read: bytes past the header size are kept as they are. */
  sector: Buffer;
  headerSize: number;
  myLba: number;
  alternateLba: number;
  lastUsableLba: number;
  entriesLba: number;
  entryCount: number;
  entrySize: number;
  entriesCrc: number;
}

const u64 = (b: Buffer, o: number) => Number(b.readBigUInt64LE(o));
const setU64 = (b: Buffer, o: number, v: number) => b.writeBigUInt64LE(BigInt(v), o);

/** CRC32 of the header's first headerSize bytes with its own CRC field taken as zero. */
function headerCrc(sector: Buffer, headerSize: number): number {
  const h = Buffer.from(sector.subarray(0, headerSize));
  h.writeUInt32LE(0, H.headerCrc);
  return zlib.crc32(h);
}

function parseHeader(sector: Buffer): GptHeader | null {
  if (sector.toString("latin1", 0, 8) !== SIGNATURE) return null;
  const headerSize = sector.readUInt32LE(H.headerSize);
  if (headerSize < MIN_HEADER_BYTES || headerSize > sector.length) return null;
  if (headerCrc(sector, headerSize) !== sector.readUInt32LE(H.headerCrc)) return null;
  return {
    sector,
    headerSize,
    myLba: u64(sector, H.myLba),
    alternateLba: u64(sector, H.alternateLba),
    lastUsableLba: u64(sector, H.lastUsableLba),
    entriesLba: u64(sector, H.entriesLba),
    entryCount: sector.readUInt32LE(H.entryCount),
    entrySize: sector.readUInt32LE(H.entrySize),
    entriesCrc: sector.readUInt32LE(H.entriesCrc),
  };
}

function sealHeader(sector: Buffer, headerSize: number): Buffer {
  sector.writeUInt32LE(headerCrc(sector, headerSize), H.headerCrc);
  return sector;
}

const skipped = (reason: string): TableGrowth => ({ kind: "gpt", writes: [], changes: [], skippedReason: reason });

/** Null when the disk has no GPT header at LBA 1 (of 512- or 4096-byte sectors). */
export async function planGptGrowth(readAt: ReadAt, targetSize: number, options: TableGrowthOptions = {}): Promise<TableGrowth | null> {
  for (const sectorSize of [512, 4096]) {
    const sector = await readAt(sectorSize, sectorSize);
    if (sector.toString("latin1", 0, 8) !== SIGNATURE) continue;
    return planForSectorSize(readAt, sector, sectorSize, targetSize, options.growLastPartition ?? true);
  }
  return null;
}

async function planForSectorSize(readAt: ReadAt, sector: Buffer, sectorSize: number, targetSize: number, growLast: boolean): Promise<TableGrowth> {
  const header = parseHeader(sector);
  if (!header) return skipped("the primary GPT header's checksum does not match; the table was left as copied");
  if (header.myLba !== 1) return skipped("the primary GPT header does not say it is at LBA 1; the table was left as copied");
  const arrayBytes = header.entryCount * header.entrySize;
  if (header.entrySize < MIN_ENTRY_BYTES || arrayBytes === 0 || arrayBytes > MAX_ENTRY_ARRAY_BYTES) {
    return skipped(`the GPT declares ${header.entryCount} entries of ${header.entrySize} bytes; the table was left as copied`);
  }
  const array = await readAt(arrayBytes, header.entriesLba * sectorSize);
  if (zlib.crc32(array) !== header.entriesCrc) return skipped("the GPT entry array's checksum does not match; the table was left as copied");

  const arraySectors = Math.ceil(arrayBytes / sectorSize);
  const targetSectors = Math.floor(targetSize / sectorSize);
  const newAlternate = targetSectors - 1;
  const newBackupArrayLba = newAlternate - arraySectors;
  const newLastUsable = newBackupArrayLba - 1;
  if (newAlternate < header.alternateLba || newLastUsable < header.lastUsableLba) {
    return skipped(`the target's ${targetSectors} sectors cannot hold this GPT's usable area (up to LBA ${header.lastUsableLba}); the table was left as copied`);
  }

  const changes: string[] = [];
  const entries = Buffer.from(array);
  let lastEntry = -1;
  let lastEnd = -1;
  for (let i = 0; i < header.entryCount; i++) {
    const e = entries.subarray(i * header.entrySize, (i + 1) * header.entrySize);
    if (e.subarray(0, 16).every((b) => b === 0)) continue;
    const end = u64(e, 40);
    if (end > lastEnd) {
      lastEnd = end;
      lastEntry = i;
    }
  }
  const isGrowing = growLast && lastEntry >= 0 && lastEnd < newLastUsable;
  if (isGrowing) {
    setU64(entries, lastEntry * header.entrySize + 40, newLastUsable);
    changes.push(`partition ${lastEntry + 1} now ends at LBA ${newLastUsable} (was ${lastEnd}): its filesystem keeps its size until resized`);
  }
  if (newAlternate === header.alternateLba && newLastUsable === header.lastUsableLba && !isGrowing) {
    return { kind: "gpt", writes: [], changes: [] };
  }

  const entriesCrc = zlib.crc32(entries);
  const primary = Buffer.from(header.sector);
  setU64(primary, H.alternateLba, newAlternate);
  setU64(primary, H.lastUsableLba, newLastUsable);
  primary.writeUInt32LE(entriesCrc, H.entriesCrc);
  sealHeader(primary, header.headerSize);
  const backup = Buffer.from(primary);
  setU64(backup, H.myLba, newAlternate);
  setU64(backup, H.alternateLba, 1);
  setU64(backup, H.entriesLba, newBackupArrayLba);
  sealHeader(backup, header.headerSize);
  if (newAlternate !== header.alternateLba) {
    changes.push(`backup GPT moved from LBA ${header.alternateLba} to LBA ${newAlternate}, the last sector of the target; last usable LBA ${newLastUsable}`);
  }

  // A power cut between any two steps leaves a valid table: the new backup is complete before
  // the primary points at it, and the old backup is wiped only once nothing points at it.
  const writes: TableWrite[] = [
    { position: newBackupArrayLba * sectorSize, bytes: entries, isBarrier: false },
    { position: newAlternate * sectorSize, bytes: backup, isBarrier: true },
  ];
  if (isGrowing) writes.push({ position: header.entriesLba * sectorSize, bytes: entries, isBarrier: false });
  writes.push({ position: sectorSize, bytes: primary, isBarrier: true });

  const mbr = await planProtectiveMbr(readAt, targetSectors);
  if (mbr) {
    writes.push({ position: 0, bytes: mbr.sector, isBarrier: true });
    changes.push(mbr.change);
  }
  const stale = await staleBackupArea(readAt, header, sectorSize, arraySectors, Math.max(lastEnd, header.lastUsableLba), newBackupArrayLba);
  if (stale) writes.push({ position: stale.start, bytes: Buffer.alloc(stale.end - stale.start), isBarrier: true });
  return { kind: "gpt", writes, changes };
}

/**
 * The protective MBR's 0xEE entry should span the disk (or 2 TiB). Only a pure protective MBR is
 * changed: a hybrid one (other entries beside 0xEE) was laid out by hand and stays as it is.
 */
async function planProtectiveMbr(readAt: ReadAt, targetSectors: number): Promise<{ sector: Buffer; change: string } | null> {
  const sector = Buffer.from(await readAt(512, 0));
  if (sector[510] !== 0x55 || sector[511] !== 0xaa) return null;
  const used = [0, 1, 2, 3].filter((i) => sector[446 + i * 16 + 4] !== 0);
  if (used.length !== 1) return null;
  const o = 446 + used[0]! * 16;
  if (sector[o + 4] !== PROTECTIVE_TYPE || sector.readUInt32LE(o + 8) !== 1) return null;
  const count = Math.min(targetSectors - 1, 0xffffffff);
  if (sector.readUInt32LE(o + 12) === count) return null;
  sector.writeUInt32LE(count, o + 12);
  chsBytes(count, [0xff, 0xff, 0xff]).copy(sector, o + 5);
  return { sector, change: `protective MBR now covers ${count} sectors` };
}

/**
 * Where the source's backup header and array were, if that area is now plain space beyond every
 * partition as copied: wiped so no second "EFI PART" header lingers in the middle of the disk.
 */
async function staleBackupArea(
  readAt: ReadAt,
  header: GptHeader,
  sectorSize: number,
  arraySectors: number,
  copiedEnd: number,
  newBackupArrayLba: number,
): Promise<{ start: number; end: number } | null> {
  const old = parseHeader(await readAt(sectorSize, header.alternateLba * sectorSize));
  const oldArrayLba = old && old.myLba === header.alternateLba ? old.entriesLba : header.alternateLba - arraySectors;
  const first = Math.min(oldArrayLba, header.alternateLba);
  if (first <= copiedEnd || header.alternateLba >= newBackupArrayLba) return null;
  return { start: first * sectorSize, end: (header.alternateLba + 1) * sectorSize };
}
