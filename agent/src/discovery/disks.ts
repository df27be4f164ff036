import type { ReportDisk, ReportPartition } from "../protocol/v1/report";
import type { BlockDevice } from "./block-devices";
import type { Host } from "./host";
import { type MountEntry, pickMount } from "./mounts";
import { partitionStyleFromHead, partitionStyleFromPtType } from "./partition-style";

// Memory-backed and virtual devices are not disks that anyone migrates.
const VIRTUAL_DISK = /^(zram|ram|loop|fd|nbd|sr)\d*/;

export function isMigratableDisk(device: BlockDevice): boolean {
  return device.type === "disk" && device.sizeBytes > 0 && !VIRTUAL_DISK.test(device.kname);
}

/** Kernel order: sda < sdb < sdz < sdaa, nvme0n1 < nvme1n1 < nvme10n1. */
export function compareDiskNames(a: string, b: string): number {
  const letterA = /^(s|v|xv|h)d([a-z]+)$/.exec(a);
  const letterB = /^(s|v|xv|h)d([a-z]+)$/.exec(b);
  if (letterA?.[2] && letterB?.[2] && letterA[1] === letterB[1]) {
    return letterA[2].length - letterB[2].length || letterA[2].localeCompare(letterB[2]);
  }
  return a.localeCompare(b, "en", { numeric: true });
}

export function mountsOf(device: BlockDevice, mounts: MountEntry[]): MountEntry[] {
  return mounts.filter(
    (m) =>
      (device.majMin !== null && m.majMin === device.majMin) ||
      m.source === device.path ||
      m.source === `/dev/${device.kname}`,
  );
}

export function deviceOfMount(devices: BlockDevice[], mount: MountEntry): BlockDevice | null {
  return (
    devices.find((d) => d.majMin !== null && d.majMin === mount.majMin) ??
    devices.find((d) => d.path === mount.source || `/dev/${d.kname}` === mount.source) ??
    null
  );
}

/** The disks a device sits on, following partitions, LVs, RAID and crypt mappings downwards. */
export function disksUnder(devices: BlockDevice[], kname: string, seen = new Set<string>()): string[] {
  if (seen.has(kname)) return [];
  seen.add(kname);
  const device = devices.find((d) => d.kname === kname);
  if (!device) return [];
  if (device.type === "disk") return [kname];
  return [...new Set(device.parents.flatMap((parent) => disksUnder(devices, parent, seen)))];
}

export type FilesystemFields = Pick<ReportPartition, "fsType" | "uuid" | "label" | "mountPoint" | "usedBytes" | "freeBytes">;

export async function filesystemOf(host: Host, device: BlockDevice, mounts: MountEntry[]): Promise<FilesystemFields> {
  const mount = pickMount(mountsOf(device, mounts));
  const usage = mount ? await host.statfs(mount.mountPoint) : null;
  return {
    // A mounted file system's type is what the kernel says it is, even when probing failed.
    fsType: device.fsType ?? mount?.fsType ?? null,
    uuid: device.uuid,
    label: device.label,
    mountPoint: mount?.mountPoint ?? null,
    usedBytes: usage?.usedBytes ?? null,
    freeBytes: usage?.freeBytes ?? null,
  };
}

export function systemDiskNames(devices: BlockDevice[], mounts: MountEntry[]): string[] {
  const rootMount = mounts.find((m) => m.mountPoint === "/");
  const rootDevice = rootMount ? deviceOfMount(devices, rootMount) : null;
  return rootDevice ? disksUnder(devices, rootDevice.kname) : [];
}

async function readPartitionStyle(
  host: Host,
  disk: BlockDevice,
  partitionCount: number,
  wholeDiskFsType: string | null,
): Promise<ReportDisk["partitionStyle"]> {
  // A file system written on the whole disk has no table, even if (like FAT) it ends its first sector in 0x55AA.
  if (partitionCount === 0 && wholeDiskFsType !== null) return "none";
  const head = await host.readHead(disk.path, 4096 + 8);
  const fromHead = head ? partitionStyleFromHead(head) : null;
  if (fromHead && !(fromHead === "none" && partitionCount > 0)) return fromHead;
  return partitionStyleFromPtType(disk.ptType);
}

export async function readDisks(
  host: Host,
  devices: BlockDevice[],
  mounts: MountEntry[],
  notes: string[],
): Promise<ReportDisk[]> {
  const systemDisks = new Set(systemDiskNames(devices, mounts));
  if (systemDisks.size === 0) notes.push("could not tell which disk holds the root file system");
  const disks = devices.filter(isMigratableDisk).sort((a, b) => compareDiskNames(a.kname, b.kname));
  if (disks.length === 0) notes.push("no disks were found (no block devices visible, e.g. inside a container)");
  const result: ReportDisk[] = [];
  for (const disk of disks) {
    const partitionDevices = devices
      .filter((d) => d.type === "part" && d.parents.includes(disk.kname))
      .sort((a, b) => (a.partitionNumber ?? 0) - (b.partitionNumber ?? 0) || compareDiskNames(a.kname, b.kname));
    const partitions: ReportPartition[] = [];
    for (const part of partitionDevices) {
      partitions.push({
        name: part.kname,
        path: part.path,
        number: part.partitionNumber,
        sizeBytes: part.sizeBytes,
        startBytes: part.startBytes,
        ...(await filesystemOf(host, part, mounts)),
      });
    }
    const wholeDisk = await filesystemOf(host, disk, mounts);
    const partitionStyle = await readPartitionStyle(host, disk, partitions.length, wholeDisk.fsType);
    if (partitionStyle === null) notes.push(`could not read the partition table of ${disk.path}`);
    result.push({
      name: disk.kname,
      path: disk.path,
      sizeBytes: disk.sizeBytes,
      partitionStyle,
      isSystemDisk: systemDisks.has(disk.kname),
      ...(partitions.length === 0
        ? wholeDisk
        : { fsType: null, uuid: null, label: null, mountPoint: null, usedBytes: null, freeBytes: null }),
      partitions,
    });
  }
  return result;
}
