import { z } from "zod";

// What a source agent reports about its server. The console stores it and judges migration
// feasibility from it, so every field is either read from the machine or null: never guessed.
// Bounds are generous for real servers and small enough that a malformed or hostile report is
// refused before it reaches the database.

/** Largest report body the console should accept, before parsing. */
export const MAX_SOURCE_REPORT_BYTES = 1024 * 1024;

const MAX_NAME = 256;
const MAX_PATH = 4096;

const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const name = z.string().min(1).max(MAX_NAME);
const text = z.string().max(MAX_NAME);
const devicePath = z.string().min(1).max(MAX_PATH);
const mountPoint = z.string().min(1).max(MAX_PATH).nullable();

/** A file system's identity and usage; all null when the device holds none or it cannot be read. */
const filesystemFields = {
  /** As blkid names it: "ext4", "xfs", "vfat", "LVM2_member", "swap", "ntfs" ... */
  fsType: text.nullable(),
  uuid: text.nullable(),
  label: text.nullable(),
  mountPoint,
  /** Only known while mounted (statfs). */
  usedBytes: bytes.nullable(),
  /** Space available to ordinary users, as df shows it. */
  freeBytes: bytes.nullable(),
};

export const partitionSchema = z.strictObject({
  name,
  path: devicePath,
  /** Number in the partition table (sda2 → 2). */
  number: z.number().int().min(1).max(4096).nullable(),
  sizeBytes: bytes,
  startBytes: bytes.nullable(),
  ...filesystemFields,
});

export const diskSchema = z.strictObject({
  name,
  path: devicePath,
  sizeBytes: bytes,
  /** "none": no partition table (a file system or LVM PV written on the whole disk, or an empty disk). */
  partitionStyle: z.enum(["mbr", "gpt", "none"]).nullable(),
  /** Holds the root file system, directly or through LVM. */
  isSystemDisk: z.boolean(),
  /** A file system on the whole disk (partitionStyle "none"); null fields otherwise. */
  ...filesystemFields,
  partitions: z.array(partitionSchema).max(256),
});

export const volumeGroupSchema = z.strictObject({
  name,
  sizeBytes: bytes.nullable(),
  freeBytes: bytes.nullable(),
  physicalVolumes: z.array(devicePath).max(256),
});

export const logicalVolumeSchema = z.strictObject({
  vg: name,
  name,
  path: devicePath.nullable(),
  sizeBytes: bytes,
  /** A thin volume or thin pool: cannot be migrated. */
  isThin: z.boolean(),
  ...filesystemFields,
});

export const lvmSchema = z.strictObject({
  volumeGroups: z.array(volumeGroupSchema).max(256),
  logicalVolumes: z.array(logicalVolumeSchema).max(1024),
});

export const mdRaidSchema = z.strictObject({
  name,
  /** "raid0", "raid1", "raid5", "linear" ... ; null while the array is inactive. */
  level: text.nullable(),
  state: z.enum(["active", "inactive"]),
  devices: z.array(name).max(256),
  sizeBytes: bytes.nullable(),
});

export const btrfsSubvolumeSchema = z.strictObject({
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
  /** Path inside the btrfs file system, e.g. "@home". */
  path: z.string().min(1).max(MAX_PATH),
  /** Where this subvolume itself is mounted, if it is. */
  mountPoint,
});

export const swapSchema = z.strictObject({
  path: devicePath,
  type: z.enum(["partition", "file", "other"]),
  sizeBytes: bytes,
  usedBytes: bytes,
  priority: z.number().int().min(-1_000_000).max(1_000_000),
});

export const networkAddressSchema = z.strictObject({
  address: z.string().min(2).max(64),
  prefix: z.number().int().min(0).max(128),
  family: z.enum(["ipv4", "ipv6"]),
});

export const networkInterfaceSchema = z.strictObject({
  name: z.string().min(1).max(64),
  mac: z.string().max(64).nullable(),
  addresses: z.array(networkAddressSchema).max(256),
  /** Default IPv4 gateway through this interface. */
  gateway: z.string().max(64).nullable(),
  /** Default IPv6 gateway through this interface. */
  gateway6: z.string().max(64).nullable(),
  mtu: z.number().int().min(0).max(1_000_000).nullable(),
});

export const bootLoaderSchema = z.strictObject({
  kind: z.enum(["grub2", "grub", "systemd-boot"]),
  configPath: z.string().min(1).max(MAX_PATH),
  /** Other operating systems offered by the boot menu (os-prober entries), e.g. "Windows 10 (on /dev/sda1)". */
  otherSystems: z.array(text).max(64),
});

export const sharedMountSchema = z.strictObject({
  type: z.enum(["nfs", "cifs", "glusterfs", "cephfs", "sshfs", "other"]),
  /** As the kernel names it: "nfs4", "smb3", "fuse.sshfs" ... */
  fsType: text,
  source: z.string().max(MAX_PATH),
  mountPoint: z.string().min(1).max(MAX_PATH),
});

export const sourceReportSchema = z.strictObject({
  hostname: z.string().min(1).max(255),
  os: z.strictObject({
    family: z.enum(["linux", "windows"]),
    name: text.nullable(),
    version: text.nullable(),
    /** os-release ID: "centos", "ubuntu", "debian", "rhel", "sles" ... */
    id: text.nullable(),
    versionId: text.nullable(),
    prettyName: text.nullable(),
  }),
  /** uname -r */
  kernel: text.nullable(),
  /** getconf GNU_LIBC_VERSION without the "glibc " prefix; null on musl or Windows. */
  glibc: text.nullable(),
  /** uname -m: "x86_64", "aarch64" ... */
  arch: text.nullable(),
  firmware: z.enum(["bios", "uefi"]).nullable(),
  cpu: z.strictObject({
    count: z.number().int().min(0).max(65_536).nullable(),
    model: text.nullable(),
  }),
  memoryBytes: bytes.nullable(),
  /** In the kernel's order, so disks[0] is the first disk. */
  disks: z.array(diskSchema).max(256),
  /** null when LVM is in use but could not be read (lvs missing or failing). */
  lvm: lvmSchema.nullable(),
  mdRaid: z.array(mdRaidSchema).max(256),
  btrfsSubvolumes: z.array(btrfsSubvolumeSchema).max(4096),
  swap: z.array(swapSchema).max(256),
  network: z.array(networkInterfaceSchema).max(1024),
  bootLoader: bootLoaderSchema.nullable(),
  sharedMounts: z.array(sharedMountSchema).max(1024),
  tools: z.strictObject({ rsync: z.boolean(), tc: z.boolean() }),
  /** Space available on the root file system. */
  rootFreeBytes: bytes.nullable(),
  agentVersion: z.string().min(1).max(64),
  collectedAt: z.iso.datetime({ offset: true }),
  /** What could not be read and why, for the person reading the report. */
  notes: z.array(z.string().max(1000)).max(200),
});

export type SourceReport = z.infer<typeof sourceReportSchema>;
export type ReportDisk = z.infer<typeof diskSchema>;
export type ReportPartition = z.infer<typeof partitionSchema>;
export type ReportLogicalVolume = z.infer<typeof logicalVolumeSchema>;
export type ReportNetworkInterface = z.infer<typeof networkInterfaceSchema>;
export type ReportSharedMount = z.infer<typeof sharedMountSchema>;

export type ParseSourceReportResult =
  | { ok: true; report: SourceReport }
  | { ok: false; reason: string };

/** Parses a report and, when it is refused, says why in words a person can act on. */
export function parseSourceReport(input: unknown): ParseSourceReportResult {
  const result = sourceReportSchema.safeParse(input);
  if (result.success) return { ok: true, report: result.data };
  return { ok: false, reason: `the source report was refused:\n${z.prettifyError(result.error)}` };
}
