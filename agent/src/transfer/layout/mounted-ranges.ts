import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { devKey } from "../files/mount-types";

/**
 * Where a read-write mount is using a source disk right now. XFS keeps recent allocations in its
 * log and its own buffer cache, so its free-space trees on disk can call blocks free that files
 * already use until the log is written back: such a filesystem is scanned, not mapped. (ext and
 * vfat keep their bitmaps in the block device's page cache, which a buffered read sees.)
 */
export interface MountedRange {
  start: number;
  end: number;
  /** Where the filesystem in this range is mounted read-write (a device may be mounted twice). */
  mountPoints: string[];
}

function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points of every device mounted read-write, by "major:minor", from /proc/self/mountinfo. */
export function parseReadWriteMounts(mountinfo: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    if (fields.length <= 6 || !fields[5]!.split(",").includes("rw")) continue;
    out.set(fields[2]!, [...(out.get(fields[2]!) ?? []), unescapeMountField(fields[4]!)]);
  }
  return out;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

/** The loop devices (their sysfs folders) that have this file attached. */
function loopsOf(file: { dev: bigint; ino: bigint }): string[] {
  let names: string[];
  try {
    names = fs.readdirSync("/sys/block").filter((n) => n.startsWith("loop"));
  } catch {
    return [];
  }
  return names
    .filter((n) => {
      const backing = readText(`/sys/block/${n}/loop/backing_file`);
      const st = backing ? fs.statSync(backing, { bigint: true, throwIfNoEntry: false }) : undefined;
      return !!st && st.dev === file.dev && st.ino === file.ino;
    })
    .map((n) => `/sys/block/${n}`);
}

/**
 * Read-write mount points of a block device (its sysfs folder) and of what is built on it: LVM,
 * LUKS or RAID devices list it among their slaves, and it lists them as holders.
 */
function mountPointsOf(sysDir: string, rw: Map<string, string[]>, sysRoot: string, depth = 0): string[] {
  const own = rw.get(readText(path.join(sysDir, "dev")) ?? "") ?? [];
  let holders: string[] = [];
  try {
    holders = depth < 4 ? fs.readdirSync(path.join(sysDir, "holders")) : [];
  } catch {
    // no holders folder: nothing is built on it
  }
  return [...own, ...holders.flatMap((h) => mountPointsOf(path.join(sysRoot, "class/block", h), rw, sysRoot, depth + 1))];
}

/** The ranges of one disk (its sysfs folder) that read-write mounts hold; sysRoot is /sys but in tests. */
export function mountedRangesOfDisk(disk: string, rw: Map<string, string[]>, sysRoot = "/sys"): MountedRange[] {
  const out: MountedRange[] = [];
  const whole = mountPointsOf(disk, rw, sysRoot);
  if (whole.length > 0) out.push({ start: 0, end: Number.MAX_SAFE_INTEGER, mountPoints: whole });
  let entries: string[];
  try {
    entries = fs.readdirSync(disk);
  } catch {
    return out;
  }
  for (const name of entries) {
    const part = path.join(disk, name);
    const mountPoints = fs.existsSync(path.join(part, "partition")) ? mountPointsOf(part, rw, sysRoot) : [];
    if (mountPoints.length === 0) continue;
    const start = Number(readText(path.join(part, "start"))) * 512;
    const size = Number(readText(path.join(part, "size"))) * 512;
    if (Number.isFinite(start) && Number.isFinite(size)) out.push({ start, end: start + size, mountPoints });
  }
  return out;
}

/**
 * Byte ranges of the disk behind `handle` that a read-write mount holds, directly or through a
 * device built on it: all of it, or those of its partitions; for an image file, through a loop
 * device attached to it.
 */
export async function readWriteMountedRanges(handle: FileHandle, mountinfo = readText("/proc/self/mountinfo") ?? ""): Promise<MountedRange[]> {
  const rw = parseReadWriteMounts(mountinfo);
  if (rw.size === 0) return [];
  const st = await handle.stat({ bigint: true });
  const disks = st.isBlockDevice() ? [`/sys/dev/block/${devKey(st.rdev)}`] : st.isFile() ? loopsOf(st) : [];
  return disks.flatMap((disk) => mountedRangesOfDisk(disk, rw));
}
