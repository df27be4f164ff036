import type { ReadAt } from "./read-at";

export interface Partition {
  start: number;
  end: number;
  /** MBR type byte as hex, or GPT type GUID. */
  type: string;
}

export interface PartitionTable {
  kind: "mbr" | "gpt";
  sectorSize: number;
  partitions: Partition[];
}

const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);

function guidString(b: Buffer): string {
  const h = b.toString("hex");
  const le = (s: string) => s.match(/../g)!.reverse().join("");
  return `${le(h.slice(0, 8))}-${le(h.slice(8, 12))}-${le(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20)}`;
}

async function readGpt(readAt: ReadAt, size: number): Promise<PartitionTable | null> {
  for (const sectorSize of [512, 4096]) {
    const header = await readAt(92, sectorSize);
    if (header.toString("latin1", 0, 8) !== "EFI PART") continue;
    const entriesLba = Number(header.readBigUInt64LE(0x48));
    const entryCount = header.readUInt32LE(0x50);
    const entrySize = header.readUInt32LE(0x54);
    if (entrySize < 128 || entryCount > 4096) return null;
    const entries = await readAt(entryCount * entrySize, entriesLba * sectorSize);
    const partitions: Partition[] = [];
    for (let i = 0; i < entryCount; i++) {
      const e = entries.subarray(i * entrySize, (i + 1) * entrySize);
      if (e.subarray(0, 16).every((x) => x === 0)) continue;
      const first = Number(e.readBigUInt64LE(32));
      const last = Number(e.readBigUInt64LE(40));
      const start = first * sectorSize;
      const end = Math.min((last + 1) * sectorSize, size);
      if (end > start) partitions.push({ start, end, type: guidString(e.subarray(0, 16)) });
    }
    return { kind: "gpt", sectorSize, partitions };
  }
  return null;
}

async function readMbr(readAt: ReadAt, size: number): Promise<PartitionTable | null> {
  const sector = await readAt(512, 0);
  if (sector[510] !== 0x55 || sector[511] !== 0xaa) return null;
  const partitions: Partition[] = [];
  let sawExtended = false;
  for (let i = 0; i < 4; i++) {
    const e = sector.subarray(446 + i * 16, 462 + i * 16);
    const status = e[0]!;
    const type = e[4]!;
    const lba = e.readUInt32LE(8);
    const count = e.readUInt32LE(12);
    if (type === 0 || count === 0) continue;
    // A boot sector of a bare filesystem has code here: anything that does not look like an
    // entry means "no partition table".
    if ((status !== 0 && status !== 0x80) || lba === 0 || lba * 512 >= size) return null;
    if (EXTENDED_TYPES.has(type)) {
      if (sawExtended) return null;
      sawExtended = true;
      // Logical partitions hang off a chain of EBRs inside the extended partition; the EBR
      // sectors themselves stay in the gaps and are copied as gaps are.
      let ebr = lba;
      for (let hops = 0; hops < 128; hops++) {
        const s = await readAt(512, ebr * 512);
        if (s[510] !== 0x55 || s[511] !== 0xaa) break;
        const l = s.subarray(446, 462);
        const next = s.subarray(462, 478);
        if (l[4] !== 0 && l.readUInt32LE(12) > 0) {
          const start = (ebr + l.readUInt32LE(8)) * 512;
          partitions.push({ start, end: Math.min(start + l.readUInt32LE(12) * 512, size), type: l[4]!.toString(16) });
        }
        if (next[4] === 0 || next.readUInt32LE(8) === 0) break;
        ebr = lba + next.readUInt32LE(8);
      }
      continue;
    }
    partitions.push({ start: lba * 512, end: Math.min((lba + count) * 512, size), type: type.toString(16) });
  }
  if (partitions.length === 0 && !sawExtended) return null;
  return { kind: "mbr", sectorSize: 512, partitions };
}

/** GPT first (its protective MBR would otherwise be read as a single partition), then MBR. */
export async function readPartitionTable(readAt: ReadAt, size: number): Promise<PartitionTable | null> {
  const mbr = await readAt(512, 0);
  const protective = [0, 1, 2, 3].some((i) => mbr[446 + i * 16 + 4] === 0xee);
  if (protective || mbr[510] !== 0x55) {
    const gpt = await readGpt(readAt, size);
    if (gpt) return gpt;
  }
  return readMbr(readAt, size);
}
