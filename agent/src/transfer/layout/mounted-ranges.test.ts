import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { mountedRangesOfDisk, parseReadWriteMounts } from "./mounted-ranges";

describe("read-write mounts", () => {
  it("takes the device and mount points of every mount whose options say rw, and none that says ro", () => {
    const mountinfo = [
      "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,discard",
      "30 22 7:0 / /mnt/a rw,nosuid,relatime shared:5 - xfs /dev/loop0 rw,attr2,inode64",
      "31 22 7:1 / /mnt/b ro,relatime shared:6 - xfs /dev/loop1 ro,attr2",
      "32 22 0:25 / /run rw,nosuid,nodev - tmpfs tmpfs rw,size=10%",
      "33 22 7:0 /sub /srv/with\\040space rw,relatime shared:7 - xfs /dev/loop0 rw,attr2",
      "",
    ].join("\n");
    const mounts = parseReadWriteMounts(mountinfo);
    expect([...mounts.keys()].sort()).toEqual(["0:25", "254:1", "7:0"]);
    expect(mounts.get("7:0")).toEqual(["/mnt/a", "/srv/with space"]);
  });
});

describe("the ranges of a disk that mounts hold", () => {
  /** A sysfs tree as the kernel lays it out for vda with two partitions, vda2 an LVM physical volume. */
  function fakeSysfs(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-sysfs-"));
    const put = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), `${text}\n`);
    };
    put("block/vda/dev", "254:0");
    put("block/vda/vda1/partition", "1");
    put("block/vda/vda1/dev", "254:1");
    put("block/vda/vda1/start", "2048");
    put("block/vda/vda1/size", "1048576");
    put("block/vda/vda2/partition", "2");
    put("block/vda/vda2/dev", "254:2");
    put("block/vda/vda2/start", "1050624");
    put("block/vda/vda2/size", "2097152");
    // LVM: the logical volume dm-0 holds vda2 (a real sysfs links it; a folder does here).
    fs.mkdirSync(path.join(root, "block/vda/vda2/holders/dm-0"), { recursive: true });
    put("class/block/dm-0/dev", "253:0");
    return root;
  }

  it("finds partitions mounted directly and through a device built on them (LVM, LUKS, RAID)", () => {
    const root = fakeSysfs();
    try {
      const rw = parseReadWriteMounts(["22 1 254:1 / /boot rw - ext4 /dev/vda1 rw", "23 1 253:0 / / rw - xfs /dev/mapper/vg-root rw", ""].join("\n"));
      expect(mountedRangesOfDisk(path.join(root, "block/vda"), rw, root).sort((a, b) => a.start - b.start)).toEqual([
        { start: 2048 * 512, end: (2048 + 1048576) * 512, mountPoints: ["/boot"] },
        { start: 1050624 * 512, end: (1050624 + 2097152) * 512, mountPoints: ["/"] },
      ]);
      expect(mountedRangesOfDisk(path.join(root, "block/vda"), parseReadWriteMounts("23 1 253:0 / / ro - xfs /dev/mapper/vg-root ro\n"), root)).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
