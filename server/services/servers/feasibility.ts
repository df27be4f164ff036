import type { SourceReport } from "@/agent/src/protocol/v1/report";

// Whether a source server can be migrated, decided from its agent's report alone (no I/O), following
// the constraints of Huawei Cloud SMS that Ferry adopts: supported OSs, minimum resources, free space
// on /, supported file systems, no shared file systems, thin LVs, RAID or multiple OSs, system volume
// on the first disk. Block-level migration additionally needs a recent enough kernel and glibc.

export type CheckStatus = "pass" | "warn" | "fail";

export const CHECK_IDS = [
  "os.family",
  "os.supported",
  "os.multiple",
  "arch",
  "resources.cpu",
  "resources.memory",
  "disk.root-free",
  "disk.system-first",
  "filesystems.supported",
  "filesystems.shared",
  "lvm.thin",
  "raid.md",
  "disks.encrypted",
  "disks.unused",
  "block-level.kernel",
  "block-level.glibc",
  "tools.rsync",
  "tools.tc",
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export type FeasibilityCheck = {
  id: CheckId;
  status: CheckStatus;
  title: string;
  message: string;
  /** What to do about it; for a pass, what the check looked at. */
  hint: string;
};

export type MigrationLevel = { available: boolean; reason?: string };

/**
 * Bumped whenever a rule changes, so a stored result of older rules is recomputed from its report
 * instead of being shown as if it were current.
 */
export const FEASIBILITY_RULES_VERSION = 2;

export type FeasibilityResult = {
  rulesVersion: number;
  /** As SMS names a source's availability: "unavailable" while any check fails, else "waiting" (ready to migrate). */
  sourceState: "unavailable" | "waiting";
  verdict: CheckStatus;
  blockLevel: MigrationLevel;
  fileLevel: MigrationLevel;
  checks: FeasibilityCheck[];
};

export type FeasibilityOptions = {
  minCpuCount?: number;
  minMemoryBytes?: number;
  minRootFreeBytes?: number;
  /** Oldest kernel [major, minor] that block-level migration accepts. */
  minBlockLevelKernel?: readonly [number, number];
  minBlockLevelGlibc?: readonly [number, number];
};

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * Block-level migration needs kernel 3.10 or later. 3.10 is the kernel of RHEL/CentOS 7, the oldest
 * enterprise kernel Ferry's block-level path is tested against; SMS accepts only a hand-picked list of
 * 2.6.32 RHEL 6 builds, which Ferry does not try to track. Older kernels use file-level migration.
 */
export const DEFAULT_MIN_BLOCK_LEVEL_KERNEL = [3, 10] as const;
/** SMS: "Linux block-level migration requires that the source glibc version be 2.14 or later." */
export const DEFAULT_MIN_BLOCK_LEVEL_GLIBC = [2, 14] as const;
export const DEFAULT_MIN_MEMORY_BYTES = 1 * GiB;
/** SMS: "At least 200 MB of available space on the root partition." */
export const DEFAULT_MIN_ROOT_FREE_BYTES = 200 * MiB;
/**
 * The report carries MemTotal, which excludes memory the firmware and kernel keep for themselves:
 * a machine with 1 GiB installed reports about 960-990 MiB. Allow that much below the minimum.
 */
const MEMTOTAL_RESERVED_SLACK_BYTES = 128 * MiB;

const SUPPORTED_FILESYSTEMS = new Set(["ext2", "ext3", "ext4", "vfat", "xfs", "btrfs"]);
// Not file systems holding data of their own: containers (checked as LVM/RAID) and swap (recreated).
// Encrypted containers are judged by their own rule (disks.encrypted), not as unknown file systems.
const NOT_DATA_FILESYSTEMS = new Set(["swap", "LVM2_member", "linux_raid_member", "crypto_LUKS", "BitLocker"]);

type SupportedOs = { ids: string[]; name: string; min?: string; max?: string };

/**
 * Linux distributions SMS supports (file level), by os-release ID. A version below `min` is refused;
 * one above `max` is newer than anything tested and only warned about.
 */
export const SUPPORTED_LINUX: SupportedOs[] = [
  { ids: ["rhel"], name: "Red Hat Enterprise Linux", min: "6", max: "9" },
  { ids: ["centos"], name: "CentOS", min: "6", max: "9" },
  { ids: ["ol"], name: "Oracle Linux", min: "6", max: "9" },
  { ids: ["rocky"], name: "Rocky Linux", min: "8", max: "9" },
  { ids: ["almalinux"], name: "AlmaLinux", min: "8", max: "9" },
  { ids: ["ubuntu"], name: "Ubuntu", min: "14.04", max: "24.04" },
  { ids: ["debian"], name: "Debian", min: "8", max: "12" },
  { ids: ["sles", "sled", "sles_sap"], name: "SUSE Linux Enterprise", min: "11", max: "15" },
  { ids: ["opensuse-leap", "opensuse"], name: "openSUSE Leap", min: "15.0", max: "15.5" },
  { ids: ["fedora"], name: "Fedora", min: "23", max: "39" },
  { ids: ["openEuler", "openeuler"], name: "openEuler", min: "20.03", max: "24.03" },
  { ids: ["euleros"], name: "EulerOS", min: "2.2", max: "2.5" },
  { ids: ["amzn"], name: "Amazon Linux", min: "2", max: "2023" },
  { ids: ["alinux"], name: "Alibaba Cloud Linux", min: "2", max: "3" },
  { ids: ["tencentos"], name: "TencentOS Server", min: "2.4", max: "3.1" },
  { ids: ["kylin"], name: "Kylin Linux Advanced Server" },
];

function versionParts(version: string): number[] | null {
  const match = /^\d+(?:\.\d+)*/.exec(version.trim());
  return match ? match[0].split(".").map(Number) : null;
}

/** Compares `version` with `bound` only to the precision of the bound: "9.4" is within a max of "9". */
function compareToBound(version: number[], bound: string): number {
  const limit = versionParts(bound) ?? [];
  for (let i = 0; i < limit.length; i += 1) {
    const difference = (version[i] ?? 0) - (limit[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

function isOlderThan(version: string, minimum: readonly [number, number]): boolean | null {
  const parts = versionParts(version);
  if (!parts) return null;
  const [major = 0, minor = 0] = parts;
  return major < minimum[0] || (major === minimum[0] && minor < minimum[1]);
}

function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`;
  return `${Math.floor(bytes / MiB)} MiB`;
}

function listed(items: string[], max = 5): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}

function osName(report: SourceReport): string {
  return report.os.prettyName ?? ([report.os.name, report.os.versionId].filter(Boolean).join(" ") || "this OS");
}

type Check = Omit<FeasibilityCheck, "id">;

function checkOsSupported(report: SourceReport): Check {
  const title = "Operating system is supported";
  const { id, versionId } = report.os;
  const entry = id ? SUPPORTED_LINUX.find((os) => os.ids.includes(id)) : undefined;
  const range = entry ? `${entry.name}${entry.min ? ` ${entry.min}` : ""}${entry.max ? ` to ${entry.max}` : ""}` : "";
  if (!entry) {
    return {
      status: "warn",
      title,
      message: `${osName(report)} is not a distribution Ferry has been tested with.`,
      hint: "The migration may work, but test the target server carefully before switching over.",
    };
  }
  const version = versionId ? versionParts(versionId) : null;
  if (!version || (!entry.min && !entry.max)) {
    return entry.min || entry.max
      ? {
          status: "warn",
          title,
          message: `The ${entry.name} version could not be read, so it is unknown whether it is supported (${range}).`,
          hint: "Check /etc/os-release on the source server and run discovery again.",
        }
      : { status: "pass", title, message: `${osName(report)} is supported.`, hint: "Checked against the supported OS list." };
  }
  if (entry.min && compareToBound(version, entry.min) < 0) {
    return {
      status: "fail",
      title,
      message: `${osName(report)} is too old to migrate: supported are ${range}.`,
      hint: "Upgrade the OS first, or build a new server from a current image and move the applications by hand.",
    };
  }
  if (entry.max && compareToBound(version, entry.max) > 0) {
    return {
      status: "warn",
      title,
      message: `${osName(report)} is newer than the versions tested (${range}).`,
      hint: "The migration will probably work; test the target server before switching over.",
    };
  }
  return { status: "pass", title, message: `${osName(report)} is supported.`, hint: `Supported: ${range}.` };
}

function checkMultipleOs(report: SourceReport): Check {
  const title = "Only one operating system";
  if (!report.bootLoader) {
    return {
      status: "warn",
      title,
      message: "No boot loader configuration (GRUB or systemd-boot) was found, so other operating systems could not be looked for.",
      hint: "Make sure the server boots with GRUB 2, GRUB or systemd-boot from its first disk; otherwise the target may not start.",
    };
  }
  if (report.bootLoader.otherSystems.length > 0) {
    return {
      status: "fail",
      title,
      message: `The boot menu offers other operating systems: ${listed(report.bootLoader.otherSystems)}. A server with several operating systems cannot be migrated.`,
      hint: "Remove the other operating systems (and run update-grub or grub2-mkconfig), then run discovery again.",
    };
  }
  return { status: "pass", title, message: "Only one operating system boots on this server.", hint: `Read ${report.bootLoader.configPath}.` };
}

function checkArch(report: SourceReport): Check {
  const title = "Processor architecture";
  if (report.arch === "x86_64") return { status: "pass", title, message: "The server is x86_64.", hint: "Targets must be x86_64 too." };
  return {
    status: "warn",
    title,
    message: report.arch
      ? `The server is ${report.arch}; Ferry is tested with x86_64 servers.`
      : "The processor architecture could not be read.",
    hint: "Use a target server of exactly the same architecture.",
  };
}

function checkCpu(report: SourceReport, minCpuCount: number): Check {
  const title = `At least ${minCpuCount} CPU`;
  const count = report.cpu.count;
  if (count === null) {
    return { status: "warn", title, message: "The number of CPUs could not be read.", hint: "Check that /proc/cpuinfo is readable and run discovery again." };
  }
  if (count < minCpuCount) {
    return { status: "fail", title, message: `The server reports ${count} CPUs; at least ${minCpuCount} is needed.`, hint: "Give the server at least one CPU." };
  }
  return { status: "pass", title, message: `${count} CPU${count === 1 ? "" : "s"}.`, hint: `At least ${minCpuCount} needed.` };
}

function checkMemory(report: SourceReport, minMemoryBytes: number): Check {
  const title = `At least ${formatBytes(minMemoryBytes)} of memory`;
  const memory = report.memoryBytes;
  if (memory === null) {
    return { status: "warn", title, message: "The memory size could not be read.", hint: "Check that /proc/meminfo is readable and run discovery again." };
  }
  if (memory < minMemoryBytes - MEMTOTAL_RESERVED_SLACK_BYTES) {
    return {
      status: "fail",
      title,
      message: `The server has ${formatBytes(memory)} of memory; the agent needs at least ${formatBytes(minMemoryBytes)} to migrate it.`,
      hint: `Add memory to the source server (at least ${formatBytes(minMemoryBytes)}), then run discovery again.`,
    };
  }
  return { status: "pass", title, message: `${formatBytes(memory)} of memory.`, hint: `At least ${formatBytes(minMemoryBytes)} needed.` };
}

function checkRootFree(report: SourceReport, minRootFreeBytes: number): Check {
  const title = `At least ${formatBytes(minRootFreeBytes)} free on /`;
  const free = report.rootFreeBytes;
  if (free === null) {
    return { status: "warn", title, message: "The free space on the root file system could not be read.", hint: "Run df -h / on the source server to check it." };
  }
  if (free < minRootFreeBytes) {
    return {
      status: "fail",
      title,
      message: `Only ${formatBytes(free)} is free on the root file system; the migration needs ${formatBytes(minRootFreeBytes)} there for its own files.`,
      hint: "Free space on / (old logs in /var/log, package caches, files in /tmp), then run discovery again.",
    };
  }
  return { status: "pass", title, message: `${formatBytes(free)} free on /.`, hint: `At least ${formatBytes(minRootFreeBytes)} needed.` };
}

function checkSystemDiskFirst(report: SourceReport): Check {
  const title = "System volume on the first disk";
  const [first] = report.disks;
  const systemDisks = report.disks.filter((disk) => disk.isSystemDisk).map((disk) => disk.name);
  if (!first) {
    return { status: "warn", title, message: "The report lists no disks.", hint: "Run the agent as root on the server itself (not in a container) so it can see the disks." };
  }
  if (systemDisks.length === 0) {
    return { status: "warn", title, message: "Which disk holds the root file system could not be told.", hint: "Run the agent as root and check the notes in the report." };
  }
  if (!first.isSystemDisk) {
    return {
      status: "fail",
      title,
      message: `The root file system is on ${listed(systemDisks)}, not on the first disk (${first.name}). Such servers cannot be migrated.`,
      hint: "Move the system to the first disk, or change the disk order in the hypervisor so the system disk comes first.",
    };
  }
  return { status: "pass", title, message: `The root file system is on the first disk (${first.name}).`, hint: "The system volume must be on the first disk." };
}

type Volume = { name: string; fsType: string; mountPoint: string | null };

function volumesWithFilesystems(report: SourceReport): Volume[] {
  const volumes: Volume[] = [];
  for (const disk of report.disks) {
    if (disk.partitions.length === 0 && disk.fsType) volumes.push({ name: disk.name, fsType: disk.fsType, mountPoint: disk.mountPoint });
    for (const part of disk.partitions) {
      if (part.fsType) volumes.push({ name: part.name, fsType: part.fsType, mountPoint: part.mountPoint });
    }
  }
  for (const lv of report.lvm?.logicalVolumes ?? []) {
    if (lv.fsType) volumes.push({ name: `${lv.vg}/${lv.name}`, fsType: lv.fsType, mountPoint: lv.mountPoint });
  }
  return volumes.filter((volume) => !NOT_DATA_FILESYSTEMS.has(volume.fsType));
}

function describeVolume(volume: Volume): string {
  return `${volume.name} (${volume.fsType}${volume.mountPoint ? ` on ${volume.mountPoint}` : ""})`;
}

function checkFilesystems(report: SourceReport): Check {
  const title = "File systems are supported";
  const volumes = volumesWithFilesystems(report);
  const unsupported = volumes.filter((volume) => !SUPPORTED_FILESYSTEMS.has(volume.fsType));
  if (unsupported.length > 0) {
    return {
      status: "fail",
      title,
      message: `These volumes use file systems that cannot be migrated: ${listed(unsupported.map(describeVolume))}. Only ext2, ext3, ext4, vfat, XFS and Btrfs are supported.`,
      hint: "Move their data to an ext4 or XFS volume and remove them, then run discovery again.",
    };
  }
  // SMS: "Btrfs file systems on [SLES 12 SP0] cannot be migrated."
  const isSles12Sp0 = ["sles", "sles_sap"].includes(report.os.id ?? "") && report.os.versionId === "12";
  const btrfs = volumes.filter((volume) => volume.fsType === "btrfs");
  if (isSles12Sp0 && btrfs.length > 0) {
    return {
      status: "fail",
      title,
      message: `Btrfs volumes on SUSE Linux Enterprise Server 12 SP0 cannot be migrated: ${listed(btrfs.map(describeVolume))}.`,
      hint: "Update to SLES 12 SP1 or later, or move the data to ext4 or XFS.",
    };
  }
  return {
    status: "pass",
    title,
    message: volumes.length > 0 ? `All ${volumes.length} file systems are supported.` : "No file systems were reported.",
    hint: "Supported: ext2, ext3, ext4, vfat, XFS, Btrfs.",
  };
}

function checkSharedFilesystems(report: SourceReport): Check {
  const title = "Shared file systems";
  if (report.sharedMounts.length === 0) {
    return { status: "pass", title, message: "No NFS, CIFS or other shared file systems are mounted.", hint: "Shared file systems are never migrated." };
  }
  const mounts = report.sharedMounts.map((mount) => `${mount.mountPoint} (${mount.fsType} from ${mount.source})`);
  return {
    status: "warn",
    title,
    message: `These shared file systems will not be migrated: ${listed(mounts)}.`,
    hint: "Mount them again on the target server after the migration (check /etc/fstab there).",
  };
}

function checkThinVolumes(report: SourceReport): Check {
  const title = "No thin logical volumes";
  if (report.lvm === null) {
    return {
      status: "warn",
      title,
      message: "LVM is in use but could not be read, so thin volumes could not be ruled out.",
      hint: "Install lvm2 and run the agent as root, then run discovery again.",
    };
  }
  const thin = report.lvm.logicalVolumes.filter((lv) => lv.isThin).map((lv) => `${lv.vg}/${lv.name}`);
  if (thin.length > 0) {
    return {
      status: "fail",
      title,
      message: `Thinly provisioned logical volumes cannot be migrated: ${listed(thin)}.`,
      hint: "Move their data to ordinary (thick) logical volumes and remove the thin ones and their pool.",
    };
  }
  return { status: "pass", title, message: "No thinly provisioned logical volumes.", hint: `${report.lvm.logicalVolumes.length} logical volumes checked.` };
}

function checkRaid(report: SourceReport): Check {
  const title = "No software RAID";
  const arrays = report.mdRaid.map((array) => `${array.name} (${array.level ?? array.state} on ${listed(array.devices)})`);
  const members = report.disks
    .flatMap((disk) => [disk, ...disk.partitions])
    .filter((volume) => volume.fsType === "linux_raid_member")
    .map((volume) => volume.name);
  if (arrays.length > 0 || members.length > 0) {
    return {
      status: "fail",
      title,
      message:
        arrays.length > 0
          ? `Servers with RAID arrays cannot be migrated: ${listed(arrays)}.`
          : `These devices are RAID members, and servers with RAID arrays cannot be migrated: ${listed(members)}.`,
      hint: "Move the data off the RAID array to plain disks or LVM and stop the array, then run discovery again.",
    };
  }
  return { status: "pass", title, message: "No md RAID arrays.", hint: "Read from /proc/mdstat." };
}

function checkEncryptedVolumes(report: SourceReport): Check {
  const title = "No encrypted volumes";
  const encrypted = report.disks
    .flatMap((disk) => [disk, ...disk.partitions])
    .filter((volume) => volume.fsType === "crypto_LUKS" || volume.fsType === "BitLocker")
    .map((volume) => volume.name);
  if (encrypted.length > 0) {
    return {
      status: "fail",
      title,
      message: `Servers with encrypted volumes cannot be migrated: ${listed(encrypted)}.`,
      hint: "Decrypt the volumes (or move their data to unencrypted ones) before migrating, and encrypt again on the target.",
    };
  }
  return { status: "pass", title, message: "No LUKS or BitLocker volumes.", hint: "Encrypted volumes and protected folders cannot be migrated." };
}

function checkUnusedDisks(report: SourceReport): Check {
  const title = "Disks in use";
  const isUsed = (disk: SourceReport["disks"][number]) =>
    disk.isSystemDisk || [disk, ...disk.partitions].some((volume) => volume.mountPoint !== null || (volume.fsType !== null && volume.fsType !== undefined));
  const unused = report.disks.filter((disk) => !isUsed(disk)).map((disk) => disk.name);
  if (unused.length > 0) {
    return {
      status: "warn",
      title,
      message: `These disks hold no file system or volume and will not be migrated: ${listed(unused)}.`,
      hint: "Only attached, used disks are migrated. External storage attached to the server is not migrated either.",
    };
  }
  return { status: "pass", title, message: `All ${report.disks.length} disks are in use.`, hint: "Unused or empty disks are not migrated." };
}

function checkBlockLevelKernel(report: SourceReport, minimum: readonly [number, number]): Check {
  const title = `Kernel ${minimum.join(".")} or later for block-level migration`;
  const older = report.kernel ? isOlderThan(report.kernel, minimum) : null;
  if (older === null) {
    return {
      status: "warn",
      title,
      message: "The kernel version could not be read, so block-level migration is not offered.",
      hint: "File-level migration is still possible.",
    };
  }
  if (older) {
    return {
      status: "warn",
      title,
      message: `Kernel ${report.kernel} is older than ${minimum.join(".")}, the oldest kernel Ferry's block-level migration supports.`,
      hint: "Use file-level migration for this server.",
    };
  }
  return { status: "pass", title, message: `Kernel ${report.kernel}.`, hint: `Block level needs ${minimum.join(".")} or later.` };
}

function checkBlockLevelGlibc(report: SourceReport, minimum: readonly [number, number]): Check {
  const title = `glibc ${minimum.join(".")} or later for block-level migration`;
  const older = report.glibc ? isOlderThan(report.glibc, minimum) : null;
  if (older === null) {
    return {
      status: "warn",
      title,
      message: "The glibc version could not be read (getconf GNU_LIBC_VERSION), so block-level migration is not offered.",
      hint: "File-level migration is still possible.",
    };
  }
  if (older) {
    return {
      status: "warn",
      title,
      message: `glibc ${report.glibc} is older than ${minimum.join(".")}, which block-level migration needs.`,
      hint: "Use file-level migration for this server.",
    };
  }
  return { status: "pass", title, message: `glibc ${report.glibc}.`, hint: `Block level needs ${minimum.join(".")} or later.` };
}

function checkRsync(report: SourceReport): Check {
  return {
    status: "pass",
    title: "rsync",
    message: report.tools.rsync ? "rsync is installed." : "rsync is not installed; that is fine, Ferry copies files itself.",
    hint: "Ferry does not need rsync.",
  };
}

function checkTc(report: SourceReport): Check {
  return {
    status: "pass",
    title: "Traffic control (tc)",
    message: report.tools.tc
      ? "tc is installed."
      : "tc is not installed; that is fine, the Ferry agent applies bandwidth limits itself.",
    hint: "Ferry does not need tc.",
  };
}

function worst(statuses: CheckStatus[]): CheckStatus {
  if (statuses.includes("fail")) return "fail";
  if (statuses.includes("warn")) return "warn";
  return "pass";
}

const BLOCK_LEVEL_ONLY: CheckId[] = ["block-level.kernel", "block-level.glibc"];

/** Judges a source report against the migration rules; pure, so the console and the agent API agree. */
export function checkFeasibility(report: SourceReport, options: FeasibilityOptions = {}): FeasibilityResult {
  if (report.os.family === "windows") {
    const message = `${osName(report)} is a Windows server; this agent migrates Linux servers only.`;
    return {
      rulesVersion: FEASIBILITY_RULES_VERSION,
      sourceState: "unavailable",
      verdict: "fail",
      blockLevel: { available: false, reason: message },
      fileLevel: { available: false, reason: message },
      checks: [
        {
          id: "os.family",
          status: "fail",
          title: "Linux source server",
          message,
          hint: "Migrate Windows servers with another tool, or rebuild the server on a new Windows image.",
        },
      ],
    };
  }

  const checks: FeasibilityCheck[] = [
    { id: "os.family", status: "pass", title: "Linux source server", message: "The server runs Linux.", hint: "Windows servers are not supported by this agent." },
    { id: "os.supported", ...checkOsSupported(report) },
    { id: "os.multiple", ...checkMultipleOs(report) },
    { id: "arch", ...checkArch(report) },
    { id: "resources.cpu", ...checkCpu(report, options.minCpuCount ?? 1) },
    { id: "resources.memory", ...checkMemory(report, options.minMemoryBytes ?? DEFAULT_MIN_MEMORY_BYTES) },
    { id: "disk.root-free", ...checkRootFree(report, options.minRootFreeBytes ?? DEFAULT_MIN_ROOT_FREE_BYTES) },
    { id: "disk.system-first", ...checkSystemDiskFirst(report) },
    { id: "filesystems.supported", ...checkFilesystems(report) },
    { id: "filesystems.shared", ...checkSharedFilesystems(report) },
    { id: "lvm.thin", ...checkThinVolumes(report) },
    { id: "raid.md", ...checkRaid(report) },
    { id: "disks.encrypted", ...checkEncryptedVolumes(report) },
    { id: "disks.unused", ...checkUnusedDisks(report) },
    { id: "block-level.kernel", ...checkBlockLevelKernel(report, options.minBlockLevelKernel ?? DEFAULT_MIN_BLOCK_LEVEL_KERNEL) },
    { id: "block-level.glibc", ...checkBlockLevelGlibc(report, options.minBlockLevelGlibc ?? DEFAULT_MIN_BLOCK_LEVEL_GLIBC) },
    { id: "tools.rsync", ...checkRsync(report) },
    { id: "tools.tc", ...checkTc(report) },
  ];

  const firstFailure = checks.find((check) => check.status === "fail");
  const fileLevel: MigrationLevel = firstFailure ? { available: false, reason: firstFailure.message } : { available: true };
  const blockProblem = checks.find((check) => BLOCK_LEVEL_ONLY.includes(check.id) && check.status !== "pass");
  const blockLevel: MigrationLevel = !fileLevel.available
    ? { available: false, reason: fileLevel.reason }
    : blockProblem
      ? { available: false, reason: blockProblem.message }
      : { available: true };

  const verdict = worst(checks.map((check) => check.status));
  return { rulesVersion: FEASIBILITY_RULES_VERSION, sourceState: verdict === "fail" ? "unavailable" : "waiting", verdict, blockLevel, fileLevel, checks };
}
