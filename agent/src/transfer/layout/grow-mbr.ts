/**
 * Grows the partition of a copied MBR that ends last to the end of a larger target. An MBR has no
 * backup and no "last usable" field, so this is the whole job; sector counts are 32 bits, so the
 * end is capped at 2 TiB (of 512-byte sectors). When the last partition is the extended one, the
 * logical partition that ends last grows with it, and so does the EBR link that describes it.
 */
import type { ReadAt } from "./read-at";
import { chsBytes, type TableGrowth, type TableGrowthOptions, type TableWrite } from "./table-growth";

const SECTOR = 512;
const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);
const MAX_SECTORS = 0xffffffff;
const MAX_EBR_HOPS = 128;
/** End CHS of a partition past what CHS can address, as fdisk writes it (1023/254/63). */
const CHS_OVERFLOW = [0xfe, 0xff, 0xff] as const;

interface Entry {
  /** Offset of the 16-byte entry in its sector. */
  offset: number;
  type: number;
  lba: number;
  count: number;
}

function readEntry(sector: Buffer, i: number): Entry {
  const offset = 446 + i * 16;
  return { offset, type: sector[offset + 4]!, lba: sector.readUInt32LE(offset + 8), count: sector.readUInt32LE(offset + 12) };
}

function setCount(sector: Buffer, e: Entry, count: number, absoluteStart: number): void {
  sector.writeUInt32LE(count, e.offset + 12);
  chsBytes(absoluteStart + count - 1, CHS_OVERFLOW).copy(sector, e.offset + 5);
}

interface Logical {
  ebrLba: number;
  ebr: Buffer;
  entry: Entry;
  start: number;
  end: number;
  /** The previous EBR and its link entry to this one's EBR (none for the first). */
  link: { ebr: Buffer; ebrLba: number; entry: Entry } | null;
}

async function readLogicals(readAt: ReadAt, extendedLba: number): Promise<Logical[]> {
  const logicals: Logical[] = [];
  let ebrLba = extendedLba;
  let link: Logical["link"] = null;
  for (let hops = 0; hops < MAX_EBR_HOPS; hops++) {
    const ebr = Buffer.from(await readAt(SECTOR, ebrLba * SECTOR));
    if (ebr[510] !== 0x55 || ebr[511] !== 0xaa) break;
    const entry = readEntry(ebr, 0);
    if (entry.type !== 0 && entry.count > 0) {
      const start = ebrLba + entry.lba;
      logicals.push({ ebrLba, ebr, entry, start, end: start + entry.count, link });
    }
    const next = readEntry(ebr, 1);
    if (next.type === 0 || next.lba === 0) break;
    link = { ebr, ebrLba, entry: next };
    ebrLba = extendedLba + next.lba;
  }
  return logicals;
}

/** Null when sector 0 holds no MBR partition table (or a GPT's protective one). */
export async function planMbrGrowth(readAt: ReadAt, targetSize: number, options: TableGrowthOptions = {}): Promise<TableGrowth | null> {
  const mbr = Buffer.from(await readAt(SECTOR, 0));
  if (mbr[510] !== 0x55 || mbr[511] !== 0xaa) return null;
  const entries = [0, 1, 2, 3].map((i) => readEntry(mbr, i)).filter((e) => e.type !== 0 && e.count > 0);
  if (entries.length === 0 || entries.some((e) => e.type === 0xee || e.lba === 0)) return null;
  if (entries.some((e) => mbr[e.offset] !== 0 && mbr[e.offset] !== 0x80)) return null;
  if (!(options.growLastPartition ?? true)) return { kind: "mbr", writes: [], changes: [] };

  const targetSectors = Math.min(Math.floor(targetSize / SECTOR), MAX_SECTORS);
  const last = entries.reduce((a, b) => (b.lba + b.count > a.lba + a.count ? b : a));
  const oldEnd = last.lba + last.count;
  if (targetSectors <= oldEnd) return { kind: "mbr", writes: [], changes: [] };
  const number = (last.offset - 446) / 16 + 1;

  if (!EXTENDED_TYPES.has(last.type)) {
    setCount(mbr, last, targetSectors - last.lba, last.lba);
    return {
      kind: "mbr",
      writes: [{ position: 0, bytes: mbr, isBarrier: true }],
      changes: [`partition ${number} now ends at sector ${targetSectors - 1} (was ${oldEnd - 1}): its filesystem keeps its size until resized`],
    };
  }

  const logicals = await readLogicals(readAt, last.lba);
  if (logicals.length === 0) {
    return { kind: "mbr", writes: [], changes: [], skippedReason: `extended partition ${number} holds no logical partition; the table was left as copied` };
  }
  const tail = logicals.reduce((a, b) => (b.end > a.end ? b : a));
  const writes: TableWrite[] = [];
  // The container first: a logical never reaches past it, even half-way through.
  setCount(mbr, last, targetSectors - last.lba, last.lba);
  writes.push({ position: 0, bytes: mbr, isBarrier: true });
  setCount(tail.ebr, tail.entry, targetSectors - tail.start, tail.start);
  writes.push({ position: tail.ebrLba * SECTOR, bytes: tail.ebr, isBarrier: true });
  // The link to the grown logical's EBR spans that EBR and its partition, as fdisk writes it.
  if (tail.link && tail.link.entry.lba + tail.link.entry.count === tail.end - last.lba) {
    setCount(tail.link.ebr, tail.link.entry, targetSectors - tail.ebrLba, tail.ebrLba);
    writes.push({ position: tail.link.ebrLba * SECTOR, bytes: tail.link.ebr, isBarrier: true });
  }
  const index = logicals.indexOf(tail) + 5;
  return {
    kind: "mbr",
    writes,
    changes: [
      `extended partition ${number} now ends at sector ${targetSectors - 1} (was ${oldEnd - 1})`,
      `logical partition ${index} now ends at sector ${targetSectors - 1} (was ${tail.end - 1}): its filesystem keeps its size until resized`,
    ],
  };
}
