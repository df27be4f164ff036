import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";
import type { diskSchema } from "../../protocol/v1/report";

type SourceDisk = z.infer<typeof diskSchema>;

/**
 * Target preparation for a file-level migration (receiver side, root only): partitions a target
 * disk after a source disk's layout (the last partition may grow into a larger disk), makes the
 * same filesystem types with the same labels and the same UUIDs (or new ones, reported so that
 * configure-target can rewrite every reference), and mounts them under a staging root in their
 * nesting order, ready for `receive --out STAGING`. LVM and RAID layouts are not recreated here.
 */
export interface PrepareTargetOptions {
  source: SourceDisk;
  /** The target block device, e.g. /dev/vdb (or a loop device). */
  device: string;
  stagingRoot: string;
  /** Keep the source's filesystem UUIDs (default), or make new ones. */
  isSameUuids?: boolean;
  /** Grow the last partition into the rest of a larger target disk. */
  isGrowingLast?: boolean;
  /** Runs a command and returns its stdout (tests and dry runs replace it). */
  run?: (cmd: string, args: string[], input?: string) => string;
}

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

function partitionType(style: "gpt" | "mbr", p: SourceDisk["partitions"][number]): string {
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

function mkfs(run: NonNullable<PrepareTargetOptions["run"]>, fsType: string, dev: string, label: string | null, uuid: string | null): void {
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
  if (src.partitionStyle !== "gpt" && src.partitionStyle !== "mbr") throw new Error(`source disk ${src.path} has no partition table to recreate`);
  const style = src.partitionStyle;
  const targetBytes = Number(run("blockdev", ["--getsize64", options.device]).trim());
  const parts = [...src.partitions].sort((a, b) => (a.number ?? 0) - (b.number ?? 0));
  // Same starts as the source where known (boot loaders may care), else packed at 1 MiB alignment.
  let next = MiB;
  const plan = parts.map((p, i) => {
    const start = p.startBytes ?? next;
    let size = p.sizeBytes;
    if (i === parts.length - 1 && options.isGrowingLast) size = Math.floor((targetBytes - start - (style === "gpt" ? MiB : 0)) / MiB) * MiB;
    next = Math.ceil((start + size) / MiB) * MiB;
    return { p, start, size };
  });
  const needed = next + (style === "gpt" ? MiB : 0);
  if (needed > targetBytes) throw new Error(`target ${options.device} holds ${targetBytes} bytes; the source layout needs ${needed}`);

  const script = [`label: ${style === "gpt" ? "gpt" : "dos"}`, ...plan.map(({ p, start, size }) => `start=${start / SECTOR}, size=${size / SECTOR}, type=${partitionType(style, p)}`)].join("\n");
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

  const prepared: PreparedPartition[] = [];
  const uuidMap: Record<string, string> = {};
  const deviceMap: Record<string, string> = {};
  plan.forEach(({ p }, i) => {
    const targetPath = partitionPath(options.device, p.number ?? i + 1);
    deviceMap[p.path] = targetPath;
    let uuid = p.uuid;
    if (p.fsType && !["LVM2_member", "linux_raid_member", "crypto_LUKS"].includes(p.fsType)) {
      if (!isSameUuids || !uuid) uuid = newUuid(p.fsType);
      mkfs(run, p.fsType, targetPath, p.label, uuid);
      if (p.uuid && uuid !== p.uuid) uuidMap[p.uuid] = uuid;
    }
    prepared.push({ sourcePath: p.path, targetPath, fsType: p.fsType, label: p.label, sourceUuid: p.uuid, uuid, mountPoint: p.mountPoint });
  });

  // Outermost first: / before /boot before /boot/efi.
  const mounts: string[] = [];
  const toMount = prepared.filter((p) => p.mountPoint && p.mountPoint.startsWith("/") && p.fsType && p.fsType !== "swap");
  toMount.sort((a, b) => a.mountPoint!.split("/").filter(Boolean).length - b.mountPoint!.split("/").filter(Boolean).length);
  try {
    for (const p of toMount) {
      const at = path.resolve(options.stagingRoot, `.${p.mountPoint!}`);
      fs.mkdirSync(at, { recursive: true });
      run("mount", [p.targetPath, at]);
      mounts.push(at);
    }
  } catch (error) {
    for (const m of [...mounts].reverse()) run("umount", [m]);
    throw error;
  }
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
