import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool, makeTempDir, partitionDisk } from "../testing/disk-images";
import { readPartitionTable } from "./partition-table";
import { readAtFromHandle } from "./read-at";

const MiB = 1024 * 1024;

describe.skipIf(!hasTool("sfdisk"))("partition tables (needs sfdisk)", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir("pt");
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  async function read(disk: string) {
    const fh = await fs.open(disk, "r");
    try {
      return await readPartitionTable(readAtFromHandle(fh), (await fh.stat()).size);
    } finally {
      await fh.close();
    }
  }

  it("reads MBR primaries and logical partitions through the EBR chain", async () => {
    const disk = path.join(dir, "mbr.img");
    partitionDisk(disk, 64, "label: dos\nstart=2048, size=16M, type=83\nstart=34816, size=8M, type=c\ntype=5\nsize=8M, type=83\nsize=4M, type=82\n");
    const t = await read(disk);
    expect(t?.kind).toBe("mbr");
    expect(t!.partitions.map((p) => [p.start / MiB, (p.end - p.start) / MiB, p.type])).toEqual([
      [1, 16, "83"],
      [17, 8, "c"],
      [26, 8, "83"],
      [35, 4, "82"],
    ]);
  });

  it("reads GPT partitions, not the protective MBR", async () => {
    const disk = path.join(dir, "gpt.img");
    partitionDisk(disk, 64, "label: gpt\nstart=2048, size=10M\nsize=20M\nsize=5M\n");
    const t = await read(disk);
    expect(t?.kind).toBe("gpt");
    expect(t!.partitions.map((p) => [p.start / MiB, (p.end - p.start) / MiB])).toEqual([
      [1, 10],
      [11, 20],
      [31, 5],
    ]);
  });

  it("finds no table on a disk without one", async () => {
    const disk = path.join(dir, "bare.img");
    await fs.writeFile(disk, Buffer.alloc(MiB));
    expect(await read(disk)).toBeNull();
  });
});
