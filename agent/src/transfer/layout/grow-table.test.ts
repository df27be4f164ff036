import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool, makeTempDir, partitionDisk, sha256File } from "../testing/disk-images";
import { fillRandom, hasSgdisk, rangeHashes, sfdiskJson, sfdiskVerify, sgdiskVerify } from "../testing/partition-checks";
import { growTargetTable } from "./grow-table";
import { readPartitionTable } from "./partition-table";
import { readAtFromHandle } from "./read-at";
import type { TableGrowthOptions } from "./table-growth";

const MiB = 1024 * 1024;

describe.skipIf(!hasTool("sfdisk"))("growing a copied partition table onto a larger target (needs sfdisk)", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir("grow");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A partitioned source whose partitions hold random bytes; returns the partitions' byte ranges. */
  async function makeSource(name: string, sizeMiB: number, script: string) {
    const disk = path.join(dir, `${name}.img`);
    partitionDisk(disk, sizeMiB, script);
    const fh = await fsp.open(disk, "r");
    const table = await readPartitionTable(readAtFromHandle(fh), sizeMiB * MiB).finally(() => fh.close());
    const parts = table!.partitions.map((p) => ({ start: p.start, end: p.end }));
    parts.forEach((p, i) => fillRandom(disk, p.start, p.end - p.start, i + 1));
    return { disk, parts, hashes: rangeHashes(disk, parts) };
  }

  /** What the receiver leaves on a larger device: the source's bytes, then whatever follows. */
  function copyOnto(source: string, name: string, targetBytes: number): string {
    const target = path.join(dir, `${name}.target.img`);
    fs.copyFileSync(source, target);
    fs.truncateSync(target, targetBytes);
    return target;
  }

  async function grow(target: string, sourceBytes: number, options?: TableGrowthOptions) {
    const fh = await fsp.open(target, "r+");
    try {
      return await growTargetTable(fh, sourceBytes, (await fh.stat()).size, options);
    } finally {
      await fh.close();
    }
  }

  function expectValidGpt(target: string) {
    const verify = sfdiskVerify(target);
    expect(verify.output).not.toMatch(/warning|error:/i);
    expect(verify.isClean).toBe(true);
    if (hasSgdisk) {
      const sg = sgdiskVerify(target);
      // sgdisk cautions that a partition ending at the last usable sector is not 1 MiB-aligned
      // at its end (growpart and sgdisk -n 0:0:0 end there too); anything else is a problem.
      expect(sg.output.replace(/Caution: Partition \d+ doesn't end on a 2048-sector boundary/, ""), sg.output).not.toMatch(/problem\(s\) found|Caution|corrupt|mismatch/i);
      expect(sg.isClean).toBe(true);
    }
  }

  it("GPT: moves the backup to the end, grows the last partition, keeps every start and every byte", async () => {
    const src = await makeSource("gpt", 64, "label: gpt\nstart=2048, size=10M\nsize=20M\nsize=5M\n");
    // Not a whole number of MiB: the end of the disk is what counts, not a grid.
    const targetBytes = 100 * MiB + 7 * 512;
    const target = copyOnto(src.disk, "gpt", targetBytes);
    const before = sfdiskJson(src.disk);

    const growth = await grow(target, 64 * MiB);
    expect(growth?.kind).toBe("gpt");
    expect(growth!.skippedReason).toBeUndefined();

    const after = sfdiskJson(target);
    const sectors = targetBytes / 512;
    expect(after.lastlba).toBe(sectors - 34);
    expect(after.partitions.map((p) => p.start)).toEqual(before.partitions.map((p) => p.start));
    expect(after.partitions.slice(0, 2)).toEqual(before.partitions.slice(0, 2));
    const last = after.partitions[2]!;
    expect(last.start + last.size - 1).toBe(sectors - 34);
    expectValidGpt(target);
    expect(rangeHashes(target, src.parts)).toEqual(src.hashes);
    // The source's backup header and array, now in the middle of the disk, were wiped.
    expect(fs.readFileSync(target).subarray(64 * MiB - 33 * 512, 64 * MiB).every((b) => b === 0)).toBe(true);

    // Running it again finds nothing to do.
    const hash = sha256File(target);
    expect((await grow(target, 64 * MiB))!.writes).toEqual([]);
    expect(sha256File(target)).toBe(hash);
  });

  it("GPT with growLastPartition off: the backup still moves, every partition keeps its end", async () => {
    const src = await makeSource("gpt-keep", 48, "label: gpt\nstart=2048, size=10M\nsize=20M\n");
    const target = copyOnto(src.disk, "gpt-keep", 80 * MiB);
    await grow(target, 48 * MiB, { growLastPartition: false });
    const after = sfdiskJson(target);
    expect(after.lastlba).toBe((80 * MiB) / 512 - 34);
    expect(after.partitions).toEqual(sfdiskJson(src.disk).partitions);
    expectValidGpt(target);
    expect(rangeHashes(target, src.parts)).toEqual(src.hashes);
  });

  it("GPT: the partition that ends last grows even when it is not the last entry", async () => {
    const src = await makeSource("gpt-order", 48, "label: gpt\nstart=30M, size=10M\nstart=2048, size=10M\n");
    const target = copyOnto(src.disk, "gpt-order", 72 * MiB);
    await grow(target, 48 * MiB);
    const after = sfdiskJson(target);
    const first = after.partitions[0]!;
    expect(first.start).toBe((30 * MiB) / 512);
    expect(first.start + first.size - 1).toBe(after.lastlba);
    expect(after.partitions[1]).toEqual(sfdiskJson(src.disk).partitions[1]);
    expectValidGpt(target);
    expect(rangeHashes(target, src.parts)).toEqual(src.hashes);
  });

  it("GPT: a damaged primary header is left alone, with the reason", async () => {
    const src = await makeSource("gpt-bad", 32, "label: gpt\nstart=2048, size=10M\n");
    const target = copyOnto(src.disk, "gpt-bad", 48 * MiB);
    const fd = fs.openSync(target, "r+");
    fs.writeSync(fd, Buffer.from([0x42]), 0, 1, 512 + 0x38); // a byte of the disk GUID
    fs.closeSync(fd);
    const hash = sha256File(target);
    const growth = await grow(target, 32 * MiB);
    expect(growth!.skippedReason).toMatch(/checksum/);
    expect(growth!.writes).toEqual([]);
    expect(sha256File(target)).toBe(hash);
  });

  it("does nothing on a target that is not larger", async () => {
    const src = await makeSource("gpt-same", 32, "label: gpt\nstart=2048, size=10M\n");
    expect(await grow(src.disk, 32 * MiB)).toBeNull();
  });

  it.skipIf(!hasTool("mkfs.vfat"))("leaves a disk without a partition table alone: a bare vfat boot sector is no MBR (needs mkfs.vfat)", async () => {
    const bare = path.join(dir, "bare-vfat.img");
    fs.writeFileSync(bare, Buffer.alloc(0));
    fs.truncateSync(bare, 32 * MiB);
    execFileSync("mkfs.vfat", [bare], { stdio: "ignore" });
    // Boot code that happens to read like an entry, one starting past the source's end: the
    // sender saw no table here, so neither may the receiver (the target is larger: it would fit).
    const entry = Buffer.alloc(16);
    entry[4] = 0x83;
    entry.writeUInt32LE((40 * MiB) / 512, 8);
    entry.writeUInt32LE(2048, 12);
    const fd = fs.openSync(bare, "r+");
    fs.writeSync(fd, entry, 0, 16, 446);
    fs.closeSync(fd);
    const target = copyOnto(bare, "bare-vfat", 64 * MiB);
    const hash = sha256File(target);
    expect(await grow(target, 32 * MiB)).toBeNull();
    expect(sha256File(target)).toBe(hash);
  });

  it("MBR: grows the last primary partition to the end of the disk", async () => {
    const src = await makeSource("mbr", 48, "label: dos\nstart=2048, size=16M, type=83\nsize=8M, type=c\n");
    const target = copyOnto(src.disk, "mbr", 80 * MiB);
    const growth = await grow(target, 48 * MiB);
    expect(growth?.kind).toBe("mbr");
    const after = sfdiskJson(target);
    const before = sfdiskJson(src.disk);
    expect(after.partitions[0]).toEqual(before.partitions[0]);
    expect(after.partitions[1]!.start).toBe(before.partitions[1]!.start);
    expect(after.partitions[1]!.start + after.partitions[1]!.size).toBe((80 * MiB) / 512);
    const verify = sfdiskVerify(target);
    expect(verify.isClean, verify.output).toBe(true);
    expect(rangeHashes(target, src.parts)).toEqual(src.hashes);
    // The end CHS sfdisk would write for the same end.
    const fresh = path.join(dir, "mbr-fresh.img");
    partitionDisk(fresh, 80, `label: dos\nstart=2048, size=16M, type=83\nstart=${before.partitions[1]!.start}, type=c\n`);
    expect(fs.readFileSync(target).subarray(446 + 16 + 5, 446 + 16 + 8)).toEqual(fs.readFileSync(fresh).subarray(446 + 16 + 5, 446 + 16 + 8));
  });

  it("MBR: grows the extended partition and the logical partition that ends last", async () => {
    const src = await makeSource("mbr-ext", 72, "label: dos\nstart=2048, size=24M, type=83\nsize=8M, type=c\ntype=5\nsize=8M, type=83\nsize=6M, type=82\n");
    const target = copyOnto(src.disk, "mbr-ext", 120 * MiB);
    await grow(target, 72 * MiB);
    const before = sfdiskJson(src.disk);
    const after = sfdiskJson(target);
    const end = (p: { start: number; size: number }) => p.start + p.size;
    expect(after.partitions.map((p) => p.start)).toEqual(before.partitions.map((p) => p.start));
    expect(after.partitions.slice(0, 2)).toEqual(before.partitions.slice(0, 2));
    expect(end(after.partitions[2]!)).toBe((120 * MiB) / 512);
    expect(after.partitions[3]).toEqual(before.partitions[3]);
    expect(end(after.partitions[4]!)).toBe((120 * MiB) / 512);
    const verify = sfdiskVerify(target);
    expect(verify.isClean, verify.output).toBe(true);
    // The logical partitions' bytes (the EBRs sit outside them) are unchanged.
    expect(rangeHashes(target, src.parts)).toEqual(src.hashes);
  });

  const canLoop = hasTool("losetup") && spawnSync("losetup", ["-f"], { stdio: "ignore" }).status === 0;
  it.skipIf(!canLoop)("GPT on 4096-byte sectors (needs losetup -b 4096)", async () => {
    const source = path.join(dir, "gpt4k.img");
    fs.writeFileSync(source, Buffer.alloc(0));
    fs.truncateSync(source, 64 * MiB);
    const attach = (file: string) => execFileSync("losetup", ["-b", "4096", "-f", "--show", file], { encoding: "utf8" }).trim();
    let loop = attach(source);
    try {
      execFileSync("sfdisk", ["-q", loop], { input: "label: gpt\nstart=256, size=20M\nsize=10M\n", stdio: ["pipe", "ignore", "pipe"] });
    } finally {
      execFileSync("losetup", ["-d", loop]);
    }
    const target = copyOnto(source, "gpt4k", 96 * MiB);
    const growth = await grow(target, 64 * MiB);
    expect(growth?.kind).toBe("gpt");
    loop = attach(target);
    try {
      const after = sfdiskJson(loop);
      expect(after.sectorsize).toBe(4096);
      expect(after.lastlba).toBe((96 * MiB) / 4096 - 6); // a 16 KiB array is 4 sectors, plus the header
      const last = after.partitions[1]!;
      expect(last.start + last.size - 1).toBe(after.lastlba);
      expect(sfdiskVerify(loop).isClean).toBe(true);
      if (hasSgdisk) expect(sgdiskVerify(loop).isClean).toBe(true);
    } finally {
      execFileSync("losetup", ["-d", loop]);
    }
  });
});
