import { describe, expect, it } from "vitest";
import { layoutBytesOf, layoutProblemOf, mountPointsOf, planPartitions, type LayoutDisk } from "./disk-layout";

const MiB = 1024 * 1024;

const part = (number: number, startMiB: number | null, sizeMiB: number, fsType: string | null, mountPoint: string | null = null) => ({
  name: `vda${number}`,
  path: `/dev/vda${number}`,
  number,
  sizeBytes: sizeMiB * MiB,
  startBytes: startMiB === null ? null : startMiB * MiB,
  fsType,
  uuid: null,
  label: null,
  mountPoint,
  usedBytes: null,
  freeBytes: null,
});

const disk = (partitions: LayoutDisk["partitions"], more: Partial<LayoutDisk> = {}): LayoutDisk => ({
  name: "vda",
  path: "/dev/vda",
  sizeBytes: 1024 * MiB,
  partitionStyle: "gpt",
  isSystemDisk: true,
  fsType: null,
  uuid: null,
  label: null,
  mountPoint: null,
  usedBytes: null,
  freeBytes: null,
  partitions,
  ...more,
});

describe("a source disk's layout on a target disk", () => {
  it("needs the end of its last partition plus the GPT backup, not the source disk's size", () => {
    const d = disk([part(1, 1, 100, "ext4", "/boot"), part(2, 101, 200, "ext4", "/")]);
    expect(layoutBytesOf(d)).toBe(302 * MiB);
    expect(layoutBytesOf({ ...d, partitionStyle: "mbr" })).toBe(301 * MiB);
  });

  it("packs partitions of unknown start at 1 MiB alignment after the one before", () => {
    const { slots } = planPartitions(disk([part(1, null, 0.5, null), part(2, null, 10, "ext4", "/")]));
    expect(slots.map((s) => s.startBytes / MiB)).toEqual([1, 2]);
  });

  it("grows the last partition into a larger target, and never shrinks it into a smaller one", () => {
    const d = disk([part(1, 1, 100, "ext4", "/boot"), part(2, 101, 200, "ext4", "/")]);
    const grown = planPartitions(d, { targetBytes: 1000 * MiB, isGrowingLast: true });
    expect(grown.slots[1]!.sizeBytes).toBe((1000 - 101 - 1) * MiB);
    expect(grown.neededBytes).toBe(1000 * MiB);
    const small = planPartitions(d, { targetBytes: 250 * MiB, isGrowingLast: true });
    expect(small.slots[1]!.sizeBytes).toBe(200 * MiB);
    expect(small.neededBytes).toBeGreaterThan(250 * MiB);
  });

  it("takes a filesystem on the whole disk at the disk's size, but not an LVM volume or an empty disk", () => {
    const whole = disk([], { partitionStyle: "none", fsType: "xfs", mountPoint: "/srv", sizeBytes: 500 * MiB });
    expect(layoutProblemOf(whole)).toBeNull();
    expect(layoutBytesOf(whole)).toBe(500 * MiB);
    expect(mountPointsOf(whole)).toEqual(["/srv"]);
    expect(layoutProblemOf({ ...whole, fsType: "LVM2_member" })).toMatch(/LVM, RAID and LUKS layouts are not recreated/);
    expect(layoutProblemOf({ ...whole, fsType: null, partitionStyle: null })).toMatch(/neither a partition table nor a filesystem/);
  });

  it("refuses what it cannot make: gaps in the numbering (logical partitions) and filesystems without a mkfs here", () => {
    expect(layoutProblemOf(disk([part(1, 1, 10, "ext4", "/"), part(5, 20, 10, "ext4", "/home")]))).toMatch(/not numbered 1 to 2/);
    expect(layoutProblemOf(disk([part(1, 1, 10, "ntfs")]))).toMatch(/holds ntfs/);
    // An LVM physical volume gets its partition back, empty.
    expect(layoutProblemOf(disk([part(1, 1, 10, "ext4", "/boot"), part(2, 11, 10, "LVM2_member")]))).toBeNull();
  });

  it("lists the mount points of local filesystems on the disk, not its swap", () => {
    expect(mountPointsOf(disk([part(1, 1, 10, "ext4", "/boot"), part(2, 11, 10, "swap"), part(3, 21, 10, "ext4", "/")]))).toEqual(["/boot", "/"]);
  });
});
