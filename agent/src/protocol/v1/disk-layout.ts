import type { z } from "zod";
import type { diskSchema, partitionSchema } from "./report";

// A source disk's layout laid out again on a target disk, for a file-level migration onto the
// target's disks (transfer/files/prepare-target.ts). The console decides with these functions
// which target disks are large enough and which source disks can be recreated at all; the target
// agent partitions with the same plan, so both sides agree on every byte.

export type LayoutDisk = z.infer<typeof diskSchema>;
export type LayoutPartition = z.infer<typeof partitionSchema>;

const MiB = 1024 * 1024;

/** Filesystems the target agent makes again (mkfs.ext2/3/4, mkfs.xfs, mkfs.btrfs, mkfs.vfat, mkswap). */
export const MAKEABLE_FS_TYPES: readonly string[] = ["ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "swap"];
/** Partitions recreated as empty partitions: the LVM, RAID or LUKS layouts inside are not recreated. */
export const UNMADE_FS_TYPES: readonly string[] = ["LVM2_member", "linux_raid_member", "crypto_LUKS"];

export type PartitionSlot = { partition: LayoutPartition; startBytes: number; sizeBytes: number };

/**
 * The partitions in table order at the source's starts (boot loaders may care), or packed at
 * 1 MiB alignment where a start is unknown. With a target size and isGrowingLast the last one
 * grows into the rest of a larger disk; it never shrinks. neededBytes counts the GPT backup.
 */
export function planPartitions(disk: LayoutDisk, options: { targetBytes?: number; isGrowingLast?: boolean } = {}): { slots: PartitionSlot[]; neededBytes: number } {
  const backupBytes = disk.partitionStyle === "gpt" ? MiB : 0;
  const sorted = [...disk.partitions].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  let next = MiB;
  const slots = sorted.map((partition, i) => {
    const startBytes = partition.startBytes ?? next;
    let sizeBytes = partition.sizeBytes;
    if (i === sorted.length - 1 && options.isGrowingLast && options.targetBytes !== undefined) {
      sizeBytes = Math.max(sizeBytes, Math.floor((options.targetBytes - startBytes - backupBytes) / MiB) * MiB);
    }
    next = Math.ceil((startBytes + sizeBytes) / MiB) * MiB;
    return { partition, startBytes, sizeBytes };
  });
  return { slots, neededBytes: next + backupBytes };
}

/** Bytes a target disk needs to take this disk's layout: a whole-disk filesystem needs the disk's size. */
export function layoutBytesOf(disk: LayoutDisk): number {
  if (disk.partitionStyle !== "gpt" && disk.partitionStyle !== "mbr") return disk.sizeBytes;
  return planPartitions(disk).neededBytes;
}

const isLocalMount = (p: { fsType: string | null; mountPoint: string | null }) => !!p.mountPoint && p.mountPoint.startsWith("/") && !!p.fsType && p.fsType !== "swap";

/** Mount points of the filesystems on this disk, its partitions' or the whole disk's (LVM volumes are not on it). */
export function mountPointsOf(disk: LayoutDisk): string[] {
  return [disk, ...disk.partitions].filter(isLocalMount).map((p) => p.mountPoint!);
}

/** Why this disk's layout cannot be recreated on a target disk, or null when it can. */
export function layoutProblemOf(disk: LayoutDisk): string | null {
  if (disk.partitionStyle !== "gpt" && disk.partitionStyle !== "mbr") {
    if (disk.fsType && MAKEABLE_FS_TYPES.includes(disk.fsType)) return null;
    if (disk.fsType && UNMADE_FS_TYPES.includes(disk.fsType)) return `source disk ${disk.path} is an ${disk.fsType} device as a whole; LVM, RAID and LUKS layouts are not recreated`;
    return `source disk ${disk.path} has neither a partition table nor a filesystem Ferry can make`;
  }
  const numbers = disk.partitions.map((p) => p.number).sort((a, b) => (a ?? 0) - (b ?? 0));
  if (numbers.some((n, i) => n !== i + 1)) {
    return `the partitions of source disk ${disk.path} are not numbered 1 to ${numbers.length} (logical MBR partitions or gaps), which is not recreated`;
  }
  for (const p of disk.partitions) {
    if (p.fsType && !MAKEABLE_FS_TYPES.includes(p.fsType) && !UNMADE_FS_TYPES.includes(p.fsType)) {
      return `partition ${p.path} of source disk ${disk.path} holds ${p.fsType}, which Ferry cannot make`;
    }
  }
  return null;
}
