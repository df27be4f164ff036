/** What tests ask of a partitioned image: sfdisk's and sgdisk's view of it, and its partitions' bytes. */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import { hasTool, seededRandom, sha256File } from "./disk-images";

export interface SfdiskPartition {
  start: number;
  size: number;
  type: string;
}

export interface SfdiskTable {
  label: "dos" | "gpt";
  lastlba?: number;
  sectorsize: number;
  partitions: SfdiskPartition[];
}

/** sfdisk's reading of the table, without device node names (they differ between copies). */
export function sfdiskJson(disk: string): SfdiskTable {
  const table = (JSON.parse(execFileSync("sfdisk", ["--json", disk], { encoding: "utf8" })) as { partitiontable: SfdiskTable }).partitiontable;
  return { ...table, partitions: table.partitions.map(({ start, size, type }) => ({ start, size, type })) };
}

/** sfdisk --verify: the table is consistent and every partition lies inside the disk. */
export function sfdiskVerify(disk: string): { isClean: boolean; output: string } {
  const r = spawnSync("sfdisk", ["--verify", disk], { encoding: "utf8" });
  return { isClean: r.status === 0 && /No errors detected/.test(r.stdout), output: `${r.stdout}${r.stderr}` };
}

export const hasSgdisk = hasTool("sgdisk");

/** sgdisk -v checks both GPT headers, both arrays, their CRCs and the protective MBR. */
export function sgdiskVerify(disk: string): { isClean: boolean; output: string } {
  const r = spawnSync("sgdisk", ["-v", disk], { encoding: "utf8" });
  return { isClean: r.status === 0 && /No problems found/.test(r.stdout), output: `${r.stdout}${r.stderr}` };
}

/** SHA-256 of each [start, end) byte range of a file. */
export function rangeHashes(file: string, ranges: readonly { start: number; end: number }[]): string[] {
  return ranges.map((r) => sha256File(file, r.start, r.end));
}

/** Fills [start, start + length) of a file with seeded random bytes. */
export function fillRandom(file: string, start: number, length: number, seed: number): void {
  const rand = seededRandom(seed);
  const buf = Buffer.alloc(length);
  for (let o = 0; o + 4 <= length; o += 4) buf.writeUInt32LE(Math.floor(rand() * 2 ** 32), o);
  const fd = fs.openSync(file, "r+");
  try {
    fs.writeSync(fd, buf, 0, length, start);
  } finally {
    fs.closeSync(fd);
  }
}
