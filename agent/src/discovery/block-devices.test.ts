import { describe, expect, it } from "vitest";
import { parseBlkidExport, parseLsblkJson } from "./block-devices";

// A CentOS 7 box as lsblk 2.37 prints it: sda1 /boot, sda2 an LVM PV holding root and swap.
const LSBLK = JSON.stringify({
  blockdevices: [
    {
      name: "sda", kname: "sda", path: "/dev/sda", "maj:min": "8:0", type: "disk", size: 42949672960,
      start: null, fstype: null, uuid: null, label: null, pttype: "dos",
      children: [
        { name: "sda1", kname: "sda1", path: "/dev/sda1", "maj:min": "8:1", type: "part", size: 1073741824, start: 2048, fstype: "xfs", uuid: "b1c2", label: null, pttype: "dos" },
        {
          name: "sda2", kname: "sda2", path: "/dev/sda2", "maj:min": "8:2", type: "part", size: 41874882560, start: 2099200, fstype: "LVM2_member", uuid: "pv-1", label: null, pttype: "dos",
          children: [
            { name: "centos-root", kname: "dm-0", path: "/dev/mapper/centos-root", "maj:min": "253:0", type: "lvm", size: 39720058880, start: null, fstype: "xfs", uuid: "r00t", label: null, pttype: null },
          ],
        },
      ],
    },
    {
      name: "sdb", kname: "sdb", path: "/dev/sdb", "maj:min": "8:16", type: "disk", size: 10737418240, start: null, fstype: "LVM2_member", uuid: "pv-2", label: null, pttype: null,
      children: [
        { name: "centos-root", kname: "dm-0", path: "/dev/mapper/centos-root", "maj:min": "253:0", type: "lvm", size: 39720058880, start: null, fstype: "xfs", uuid: "r00t", label: null, pttype: null },
      ],
    },
  ],
});

describe("parseLsblkJson", () => {
  it("flattens the tree, keeps one entry per kernel device and records every parent", () => {
    const devices = parseLsblkJson(LSBLK);
    expect(devices.map((d) => d.kname)).toEqual(["sda", "sda1", "sda2", "dm-0", "sdb"]);
    expect(devices.find((d) => d.kname === "dm-0")).toMatchObject({
      name: "centos-root",
      type: "lvm",
      path: "/dev/mapper/centos-root",
      parents: ["sda2", "sdb"],
      fsType: "xfs",
    });
  });

  it("turns START sectors into bytes", () => {
    expect(parseLsblkJson(LSBLK).find((d) => d.kname === "sda1")?.startBytes).toBe(2048 * 512);
  });

  it("reads old lsblk output where numbers are strings and PATH is missing", () => {
    const old = JSON.stringify({
      blockdevices: [
        { name: "vda", kname: "vda", "maj:min": "252:0", type: "disk", size: "21474836480", fstype: null, pttype: "gpt",
          children: [{ name: "vda1", kname: "vda1", "maj:min": "252:1", type: "part", size: "21473787904", fstype: "ext4" }] },
      ],
    });
    const [disk, part] = parseLsblkJson(old);
    expect(disk).toMatchObject({ path: "/dev/vda", sizeBytes: 21474836480, ptType: "gpt" });
    expect(part).toMatchObject({ path: "/dev/vda1", sizeBytes: 21473787904, parents: ["vda"], startBytes: null });
  });
});

describe("parseBlkidExport", () => {
  it("reads one block per device keyed by DEVNAME", () => {
    const devices = parseBlkidExport("DEVNAME=/dev/sda1\nUUID=abc\nTYPE=ext4\n\nDEVNAME=/dev/sda\nPTUUID=1234\nPTTYPE=gpt\n");
    expect(devices.get("/dev/sda1")).toMatchObject({ TYPE: "ext4", UUID: "abc" });
    expect(devices.get("/dev/sda")?.PTTYPE).toBe("gpt");
  });
});
