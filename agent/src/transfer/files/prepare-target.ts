import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { planPartitions, UNMADE_FS_TYPES, type LayoutDisk } from "../../protocol/v1/disk-layout";

/**
 * Target preparation for a file-level migration (receiver side, root only): partitions a target
 * disk after a source disk's layout (the last partition may grow into a larger disk), makes the
 * same filesystem types with the same labels and the same UUIDs (or new ones, reported so that
 * configure-target can rewrite every reference), and mounts them under a staging root in their
 * nesting order, ready for `receive --out STAGING`. A source disk without a partition table that
 * holds one filesystem gets that filesystem on the whole target disk. LVM and RAID layouts are not
 * recreated here.
 */
export interface PrepareTargetOptions {
  source: LayoutDisk;
  /** The target block device, e.g. /dev/vdb (or a loop device). */
  device: string;
  stagingRoot: string;
  /** Keep the source's filesystem UUIDs (default), or make new ones. */
  isSameUuids?: boolean;
  /** Grow the last partition into the rest of a larger target disk. */
  isGrowingLast?: boolean;
  /** Mount the filesystems now (default); off when several disks are mounted together with mountPrepared(). */
  isMounting?: boolean;
  /** Runs a command and returns its stdout (tests and dry runs replace it). */
  run?: Run;
}

/** Runs a command, feeding it input, and returns its stdout; throws when it fails. */
export type Run = (cmd: string, args: string[], input?: string) => string;

export interface PreparedPartition {
  sourcePath: string;
  targetPath: string;
  fsType: string | null;
  label: string | null;
  sourceUuid: string | null;
  uuid: string | null;
  mountPoint: string | null;
}

export interface PreparedTarget {
  partitions: PreparedPartition[];
  /** Source UUID → target UUID, for configure-target (empty when the UUIDs were kept). */
  uuidMap: Record<string, string>;
  /** Source partition path → target partition path, for configure-target. */
  deviceMap: Record<string, string>;
  /** Mounted paths, outermost first. */
  mounts: string[];
  unmount(): void;
}

const MiB = 1024 * 1024;
const SECTOR = 512;

function defaultRun(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

function partitionPath(device: string, number: number): string {
  return /\d$/.test(device) ? `${device}p${number}` : `${device}${number}`;
}

function partitionType(style: "gpt" | "mbr", p: LayoutDisk["partitions"][number]): string {
  const isEsp = p.fsType === "vfat" && (p.mountPoint === "/boot/efi" || p.mountPoint === "/efi");
  if (style === "gpt") {
    if (isEsp) return "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
    if (p.fsType === "swap") return "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F";
    if (!p.fsType && p.sizeBytes <= 8 * MiB) return "21686148-6449-6E6F-744E-656564454649"; // BIOS boot
    return "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
  }
  if (isEsp) return "ef";
  if (p.fsType === "swap") return "82";
  return "83";
}

function newUuid(fsType: string): string {
  if (fsType === "vfat") return crypto.randomBytes(4).toString("hex").toUpperCase().replace(/^(.{4})/, "$1-");
  return crypto.randomUUID();
}

function mkfs(run: Run, fsType: string, dev: string, label: string | null, uuid: string | null): void {
  const args: string[] = [];
  switch (fsType) {
    case "ext2":
    case "ext3":
    case "ext4":
      if (label) args.push("-L", label);
      if (uuid) args.push("-U", uuid);
      run(`mkfs.${fsType}`, ["-F", "-q", ...args, dev]);
      return;
    case "xfs":
      if (label) args.push("-L", label);
      if (uuid) args.push("-m", `uuid=${uuid}`);
      run("mkfs.xfs", ["-f", "-q", ...args, dev]);
      return;
    case "btrfs":
      if (label) args.push("-L", label);
      if (uuid) args.push("-U", uuid);
      run("mkfs.btrfs", ["-f", "-q", ...args, dev]);
      return;
    case "vfat":
      if (label) args.push("-n", label);
      if (uuid) args.push("-i", uuid.replace("-", ""));
      run("mkfs.vfat", [...args, dev]);
      return;
    case "swap":
      if (label) args.push("-L", label);
      if (uuid) args.push("-U", uuid);
      run("mkswap", [...args, dev]);
      return;
    default:
      throw new Error(`cannot make a ${fsType} filesystem on ${dev}`);
  }
}

export function prepareTarget(options: PrepareTargetOptions): PreparedTarget {
  const run = options.run ?? defaultRun;
  const src = options.source;
  const isSameUuids = options.isSameUuids ?? true;
  const prepared: PreparedPartition[] = [];
  const uuidMap: Record<string, string> = {};
  const deviceMap: Record<string, string> = {};
  const make = (p: { path: string; fsType: string | null; uuid: string | null; label: string | null; mountPoint: string | null }, targetPath: string) => {
    deviceMap[p.path] = targetPath;
    let uuid = p.uuid;
    if (p.fsType && !UNMADE_FS_TYPES.includes(p.fsType)) {
      if (!isSameUuids || !uuid) uuid = newUuid(p.fsType);
      mkfs(run, p.fsType, targetPath, p.label, uuid);
      if (p.uuid && uuid !== p.uuid) uuidMap[p.uuid] = uuid;
    }
    prepared.push({ sourcePath: p.path, targetPath, fsType: p.fsType, label: p.label, sourceUuid: p.uuid, uuid, mountPoint: p.mountPoint });
  };

  if (src.partitionStyle !== "gpt" && src.partitionStyle !== "mbr") {
    if (!src.fsType || UNMADE_FS_TYPES.includes(src.fsType)) throw new Error(`source disk ${src.path} has no partition table to recreate`);
    const targetBytes = Number(run("blockdev", ["--getsize64", options.device]).trim());
    if (src.sizeBytes > targetBytes) throw new Error(`target ${options.device} holds ${targetBytes} bytes; the source layout needs ${src.sizeBytes}`);
    // A partition table left on the target would be found before the filesystem.
    run("wipefs", ["--all", "--quiet", options.device]);
    make(src, options.device);
  } else {
    const style = src.partitionStyle;
    const targetBytes = Number(run("blockdev", ["--getsize64", options.device]).trim());
    const { slots, neededBytes } = planPartitions(src, { targetBytes, isGrowingLast: options.isGrowingLast });
    if (neededBytes > targetBytes) throw new Error(`target ${options.device} holds ${targetBytes} bytes; the source layout needs ${neededBytes}`);
    const script = [
      `label: ${style === "gpt" ? "gpt" : "dos"}`,
      ...slots.map(({ partition, startBytes, sizeBytes }) => `start=${startBytes / SECTOR}, size=${sizeBytes / SECTOR}, type=${partitionType(style, partition)}`),
    ].join("\n");
    run("sfdisk", ["--quiet", "--wipe", "always", options.device], `${script}\n`);
    try {
      run("partx", ["-u", options.device]);
    } catch {
      // a loop device set up with -P, or a kernel that already re-read the table
    }
    try {
      run("udevadm", ["settle"]);
    } catch {
      // no udev in containers: the kernel made the nodes
    }
    slots.forEach(({ partition }, i) => make(partition, partitionPath(options.device, partition.number ?? i + 1)));
  }

  const mounts = options.isMounting === false ? [] : mountPrepared(prepared, options.stagingRoot, run);
  return {
    partitions: prepared,
    uuidMap,
    deviceMap,
    mounts,
    unmount: () => {
      for (const m of [...mounts].reverse()) run("umount", [m]);
    },
  };
}

/** The partitions that get mounted, outermost first: / before /boot before /boot/efi. */
export function mountOrder(partitions: readonly PreparedPartition[]): PreparedPartition[] {
  const depth = (p: PreparedPartition) => p.mountPoint!.split("/").filter(Boolean).length;
  return partitions.filter((p) => p.mountPoint && p.mountPoint.startsWith("/") && p.fsType && p.fsType !== "swap").sort((a, b) => depth(a) - depth(b));
}

/**
 * Mounts prepared filesystems (of one disk or several) nested under the staging root; those
 * isMounted says are already there are left as they are. On a failure it unmounts what it
 * mounted and throws. Returns the paths it mounted, outermost first.
 */
export function mountPrepared(partitions: readonly PreparedPartition[], stagingRoot: string, run: Run = defaultRun, isMounted: (p: PreparedPartition, at: string) => boolean = () => false): string[] {
  const mounts: string[] = [];
  try {
    for (const p of mountOrder(partitions)) {
      const at = path.resolve(stagingRoot, `.${p.mountPoint!}`);
      if (isMounted(p, at)) continue;
      fs.mkdirSync(at, { recursive: true });
      run("mount", [p.targetPath, at]);
      mounts.push(at);
    }
  } catch (error) {
    for (const m of [...mounts].reverse()) run("umount", [m]);
    throw error;
  }
  return mounts;
}
