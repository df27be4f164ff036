import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasTool, makeExtImage, makeTempDir, writeTree } from "../testing/disk-images";
import { readExtUsage } from "./ext-fs";
import { readAtFromHandle } from "./read-at";

const hasMkfs = hasTool("mkfs.ext4");

describe.skipIf(!hasMkfs)("ext2/3/4 block bitmaps (needs mkfs.ext4)", () => {
  let dir: string;
  let tree: string;
  beforeAll(() => {
    dir = makeTempDir("ext");
    tree = path.join(dir, "tree");
    writeTree(tree, 12, 600_000, 1);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  // Each variant exercises another part of the on-disk format: flex_bg moves bitmaps into group 0,
  // 64bit widens descriptors, ext2 has no uninitialised groups, 1 KiB blocks shift group 0.
  const variants: [string, string[]][] = [
    ["ext4 default (flex_bg, uninit groups)", []],
    ["ext4 64bit, 4 KiB blocks", ["-O", "64bit", "-b", "4096"]],
    ["ext4 without flex_bg", ["-O", "^flex_bg"]],
    ["ext3", ["-t", "ext3"]],
    ["ext2 with 1 KiB blocks", ["-t", "ext2", "-b", "1024"]],
    ["ext4 sparse_super2", ["-O", "sparse_super2"]],
  ];
  it.each(variants)("counts exactly the superblock's used blocks: %s", async (_label, args) => {
    const img = path.join(dir, "fs.img");
    makeExtImage(img, 96, tree, args);
    const fh = await fs.open(img, "r");
    try {
      const usage = await readExtUsage(readAtFromHandle(fh), 0, (await fh.stat()).size);
      expect(usage).not.toBeNull();
      expect(usage!.usedBlocks).toBe(usage!.superblockUsedBlocks);
      // Well under the filesystem size: the point of reading bitmaps.
      expect(usage!.usedBlocks * usage!.blockSize).toBeLessThan(20 * 1024 * 1024);
    } finally {
      await fh.close();
    }
  });

  it("does not claim a filesystem larger than its container", async () => {
    const img = path.join(dir, "fs.img");
    makeExtImage(img, 64, tree);
    const fh = await fs.open(img, "r");
    try {
      expect(await readExtUsage(readAtFromHandle(fh), 0, 32 * 1024 * 1024)).toBeNull();
    } finally {
      await fh.close();
    }
  });
});
