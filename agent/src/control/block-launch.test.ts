import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hasTool, makeExtImage, makeTempDir, partitionDisk, placeImage, sha256File } from "../transfer/testing/disk-images";
import { configureBlockRoot, findFilesystems } from "./block-launch";

const work = makeTempDir("block-launch");
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;
const canLoop = isRoot && hasTool("mkfs.ext4") && hasTool("losetup");
const canXfs = canLoop && hasTool("mkfs.xfs");

function extImage(name: string, sizeMiB: number, files: Record<string, string>): string {
  const tree = path.join(work, `${name}-tree`);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, rel)), { recursive: true });
    fs.writeFileSync(path.join(tree, rel), text);
  }
  fs.mkdirSync(tree, { recursive: true });
  const image = path.join(work, `${name}.img`);
  makeExtImage(image, sizeMiB, tree);
  return image;
}

describe.skipIf(!hasTool("mkfs.ext4"))("finding the filesystems of a target disk (needs e2fsprogs)", () => {
  it("reads partitions by their superblocks, or the whole disk without a table", async () => {
    const disk = path.join(work, "two.img");
    partitionDisk(disk, 24, "label: dos\nstart=2048, size=8192\nstart=10240, size=8192\nstart=18432\n");
    placeImage(disk, 10240 * 512, extImage("p2", 4, { "a.txt": "a" }));
    // Partition 1 stays zeros, partition 3 holds bytes no filesystem starts with.
    fs.writeFileSync(path.join(work, "noise"), Buffer.alloc(8192, 7));
    placeImage(disk, 18432 * 512, path.join(work, "noise"));
    expect(await findFilesystems(disk)).toEqual([{ disk, where: "partition 2", offset: 10240 * 512, size: 8192 * 512, fsType: "ext4" }]);
    const whole = extImage("whole", 4, {});
    expect(await findFilesystems(whole)).toEqual([{ disk: whole, where: "the whole disk", offset: 0, size: 4 * 1024 * 1024, fsType: "ext4" }]);
  });
});

describe.skipIf(!canLoop)("configuring the migrated root of block-level target disks (needs root and loop mounts)", () => {
  it("says why when no filesystem holds /etc/fstab, and leaves each filesystem it looked at unchanged", async () => {
    const data = extImage("data", 4, { "srv/app.conf": "x" });
    const before = sha256File(data);
    const empty = path.join(work, "empty.img");
    execFileSync("truncate", ["-s", "4M", empty]);
    let calls = 0;
    const r = await configureBlockRoot([data, empty], path.join(work, "stage-none"), () => calls++);
    expect(r).toEqual({ isFound: false, why: "no filesystem holds /etc/fstab: ext4 on data.img the whole disk (no /etc/fstab)" });
    expect(calls).toBe(0);
    expect(sha256File(data)).toBe(before);
    expect(fs.existsSync(path.join(work, "stage-none"))).toBe(false);
    expect(await configureBlockRoot([empty], path.join(work, "stage-empty"), () => 0)).toEqual({ isFound: false, why: "no ext, XFS or btrfs filesystem on the disks" });
  });

  it.skipIf(!canXfs)("mounts an XFS root (nouuid: the copy shares its source's UUID) and writes to it (needs xfsprogs)", async () => {
    const disk = path.join(work, "xfs.img");
    execFileSync("truncate", ["-s", "320M", disk]);
    execFileSync("mkfs.xfs", ["-q", disk]);
    const m = path.join(work, "xfs-m");
    fs.mkdirSync(m);
    execFileSync("mount", ["-o", "loop", disk, m]);
    try {
      fs.mkdirSync(path.join(m, "etc"));
      fs.writeFileSync(path.join(m, "etc/fstab"), "/dev/sda1 / xfs defaults 0 0\n");
      // Copied while mounted, as a block-level pass copies a running source: what sync wrote may
      // be in the log only, which the mount replays. A second mount of the same filesystem's copy
      // while the first is mounted: only nouuid allows it.
      execFileSync("sync", ["-f", path.join(m, "etc/fstab")]);
      const copy = path.join(work, "xfs-copy.img");
      fs.copyFileSync(disk, copy);
      const r = await configureBlockRoot([copy], path.join(work, "stage-xfs"), (root) => {
        fs.writeFileSync(path.join(root, "etc/hostname"), "new\n");
        return fs.readFileSync(path.join(root, "etc/fstab"), "utf8");
      });
      expect(r).toEqual({ isFound: true, where: "xfs on xfs-copy.img the whole disk", result: "/dev/sda1 / xfs defaults 0 0\n" });
      execFileSync("umount", [m]);
      execFileSync("mount", ["-o", "loop,ro", copy, m]);
      expect(fs.readFileSync(path.join(m, "etc/hostname"), "utf8")).toBe("new\n");
    } finally {
      execFileSync("umount", [m]);
    }
  });
});
