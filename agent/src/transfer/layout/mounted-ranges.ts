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
 * Byte ranges of the disk behind `handle` that a read-write mount holds: all of it, or those of
 * its partitions that are mounted; for an image file, through a loop device attached to it.
 */
export async function readWriteMountedRanges(handle: FileHandle, mountinfo = readText("/proc/self/mountinfo") ?? ""): Promise<MountedRange[]> {
  const rw = parseReadWriteMounts(mountinfo);
  if (rw.size === 0) return [];
  const st = await handle.stat({ bigint: true });
  const disks = st.isBlockDevice() ? [`/sys/dev/block/${devKey(st.rdev)}`] : st.isFile() ? loopsOf(st) : [];
  const out: MountedRange[] = [];
  for (const disk of disks) {
    const whole = rw.get(readText(path.join(disk, "dev")) ?? "");
    if (whole) out.push({ start: 0, end: Number.MAX_SAFE_INTEGER, mountPoints: whole });
    let entries: string[];
    try {
      entries = fs.readdirSync(disk);
    } catch {
      continue;
    }
    for (const name of entries) {
      const part = path.join(disk, name);
      const mountPoints = fs.existsSync(path.join(part, "partition")) ? rw.get(readText(path.join(part, "dev")) ?? "") : undefined;
      if (!mountPoints) continue;
      const start = Number(readText(path.join(part, "start"))) * 512;
      const size = Number(readText(path.join(part, "size"))) * 512;
      if (Number.isFinite(start) && Number.isFinite(size)) out.push({ start, end: start + size, mountPoints });
    }
  }
  return out;
}
