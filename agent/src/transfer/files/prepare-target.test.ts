import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareTarget } from "./prepare-target";
import { hasCommand, isRoot } from "./testing/tree-snapshot";

const MiB = 1024 * 1024;

/** Loop devices with partitions need root, a free /dev/loopN and partition nodes (losetup -P). */
function loopDevicesWork(): string | null {
  if (!isRoot) return "needs root";
  for (const t of ["losetup", "sfdisk", "mkfs.ext4", "mkfs.vfat", "mkswap", "blkid"]) if (!hasCommand(t)) return `needs ${t}`;
  const image = path.join(os.tmpdir(), `ferry-loop-probe-${process.pid}.img`);
  try {
    fs.writeFileSync(image, Buffer.alloc(0));
    fs.truncateSync(image, 8 * MiB);
    const dev = execFileSync("losetup", ["-f", "--show", "-P", image], { encoding: "utf8" }).trim();
    execFileSync("losetup", ["-d", dev]);
    return null;
  } catch (error) {
    return `loop devices unavailable: ${(error as Error).message.split("\n")[0]}`;
  } finally {
    fs.rmSync(image, { force: true });
  }
}

const skipReason = loopDevicesWork();
/** Some kernels (this container's) cannot mount vfat: the ESP is then made and checked, not mounted. */
const canMountVfat = /\svfat$/m.test(fs.readFileSync("/proc/filesystems", "utf8"));

describe.skipIf(skipReason !== null)(`target preparation on a loop device${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  let dir: string;
  let device: string;
  const source = {
    name: "vda",
    path: "/dev/vda",
    sizeBytes: 400 * MiB,
    partitionStyle: "gpt" as const,
    isSystemDisk: true,
    fsType: null,
    uuid: null,
    label: null,
    mountPoint: null,
    usedBytes: null,
    freeBytes: null,
    partitions: [
      { name: "vda1", path: "/dev/vda1", number: 1, sizeBytes: 64 * MiB, startBytes: MiB, fsType: "vfat", uuid: "1234-ABCD", label: "EFI", mountPoint: canMountVfat ? "/boot/efi" : null, usedBytes: null, freeBytes: null },
      { name: "vda2", path: "/dev/vda2", number: 2, sizeBytes: 64 * MiB, startBytes: 65 * MiB, fsType: "ext4", uuid: "0a1b2c3d-1111-4222-8333-444455556666", label: "boot", mountPoint: "/boot", usedBytes: null, freeBytes: null },
      { name: "vda3", path: "/dev/vda3", number: 3, sizeBytes: 32 * MiB, startBytes: 129 * MiB, fsType: "swap", uuid: "5b6c7d8e-2222-4333-8444-555566667777", label: null, mountPoint: null, usedBytes: null, freeBytes: null },
      { name: "vda4", path: "/dev/vda4", number: 4, sizeBytes: 200 * MiB, startBytes: 161 * MiB, fsType: "ext4", uuid: "9f8e7d6c-aaaa-4bbb-8ccc-ddddeeeeffff", label: "root", mountPoint: "/", usedBytes: null, freeBytes: null },
    ],
  };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-prepare-"));
    const image = path.join(dir, "target.img");
    fs.writeFileSync(image, Buffer.alloc(0));
    fs.truncateSync(image, 500 * MiB);
    device = execFileSync("losetup", ["-f", "--show", "-P", image], { encoding: "utf8" }).trim();
  });

  afterAll(() => {
    if (device) execFileSync("losetup", ["-d", device]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("partitions after the source (last one grown), makes the filesystems with their labels and UUIDs, mounts them nested", () => {
    const staging = path.join(dir, "staging");
    const t = prepareTarget({ source, device, stagingRoot: staging, isGrowingLast: true });
    try {
      const blkid = (dev: string, tag: string) => execFileSync("blkid", ["-s", tag, "-o", "value", dev], { encoding: "utf8" }).trim();
      expect(blkid(`${device}p1`, "UUID")).toBe("1234-ABCD");
      expect(blkid(`${device}p2`, "UUID")).toBe(source.partitions[1]!.uuid);
      expect(blkid(`${device}p2`, "LABEL")).toBe("boot");
      expect(blkid(`${device}p3`, "TYPE")).toBe("swap");
      expect(blkid(`${device}p4`, "UUID")).toBe(source.partitions[3]!.uuid);
      expect(t.uuidMap).toEqual({});
      expect(t.deviceMap["/dev/vda4"]).toBe(`${device}p4`);
      // The root partition grew into the larger disk.
      expect(Number(execFileSync("blockdev", ["--getsize64", `${device}p4`], { encoding: "utf8" }))).toBeGreaterThan(300 * MiB);
      expect(t.mounts).toEqual([staging, path.join(staging, "boot"), ...(canMountVfat ? [path.join(staging, "boot/efi")] : [])]);
      const mounts = fs.readFileSync("/proc/self/mounts", "utf8");
      if (canMountVfat) expect(mounts).toContain(`${device}p1 ${path.join(staging, "boot/efi")} vfat`);
      expect(mounts).toContain(`${device}p2 ${path.join(staging, "boot")} ext4`);
      expect(mounts).toContain(`${device}p4 ${staging} ext4`);
    } finally {
      t.unmount();
    }
  });

  it("makes new UUIDs on request and returns the map configure-target needs", () => {
    const staging = path.join(dir, "staging2");
    const t = prepareTarget({ source, device, stagingRoot: staging, isSameUuids: false });
    try {
      expect(Object.keys(t.uuidMap).sort()).toEqual(source.partitions.map((p) => p.uuid).sort());
      expect(execFileSync("blkid", ["-s", "UUID", "-o", "value", `${device}p4`], { encoding: "utf8" }).trim()).toBe(t.uuidMap[source.partitions[3]!.uuid]);
    } finally {
      t.unmount();
    }
  });
});
