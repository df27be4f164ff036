import { spawnSync } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { statTarget } from "../transfer/device-size";
import { readPartitionTable } from "../transfer/layout/partition-table";
import { readAtFromHandle, type ReadAt } from "../transfer/layout/read-at";

/**
 * The "configure" step of a block-level launch. The target disks hold byte copies of the
 * source's, so UUIDs and device names are already right; the new machine's network cards are
 * not. The migrated root is the filesystem with /etc/fstab among the disks' partitions (or a
 * whole disk without a partition table): it is mounted through a loop device at a staging
 * folder, configured there like a file-level copy, and unmounted.
 */
export type FsType = "ext4" | "xfs" | "btrfs";

export interface DiskFilesystem {
  disk: string;
  /** "partition 2", or "the whole disk". */
  where: string;
  offset: number;
  size: number;
  fsType: FsType;
}

/** A filesystem's type by its superblock magic at offset; null for any other content. */
async function fsTypeAt(readAt: ReadAt, offset: number): Promise<FsType | null> {
  if ((await readAt(2, offset + 1080)).readUInt16LE(0) === 0xef53) return "ext4";
  if ((await readAt(4, offset)).toString("latin1") === "XFSB") return "xfs";
  if ((await readAt(8, offset + 65536 + 64)).toString("latin1") === "_BHRfS_M") return "btrfs";
  return null;
}

/** The ext, XFS and btrfs filesystems on a disk: in its partitions, or the whole disk's. */
export async function findFilesystems(disk: string): Promise<DiskFilesystem[]> {
  const size = (await statTarget(disk)).size;
  if (!size) return [];
  const handle = await fsp.open(disk, "r");
  try {
    const readAt = readAtFromHandle(handle);
    const table = await readPartitionTable(readAt, size);
    const areas = table ? table.partitions.map((p, i) => ({ where: `partition ${i + 1}`, offset: p.start, size: p.end - p.start })) : [{ where: "the whole disk", offset: 0, size }];
    const found: DiskFilesystem[] = [];
    for (const a of areas) {
      const fsType = await fsTypeAt(readAt, a.offset);
      if (fsType) found.push({ disk, ...a, fsType });
    }
    return found;
  } finally {
    await handle.close();
  }
}

function run(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status === 0) return null;
  return (r.error?.message ?? `${r.stderr}${r.stdout}`.trim()) || `exit ${r.status}`;
}

export type RootConfigured<T> = { isFound: true; where: string; result: T } | { isFound: false; why: string };

/**
 * Mounts each filesystem of the disks in turn at stagingDir until one holds /etc/fstab, runs
 * configure on it and unmounts it (the loop device goes with it). XFS mounts with nouuid: the
 * copy has its source's UUID, which another mounted filesystem here may share. btrfs copies are
 * not mounted: the kernel would take one for the other device of its UUID.
 */
export async function configureBlockRoot<T>(disks: readonly string[], stagingDir: string, configure: (root: string) => T): Promise<RootConfigured<T>> {
  fs.mkdirSync(stagingDir, { recursive: true });
  try {
    return await configureFirstRoot(disks, stagingDir, configure);
  } finally {
    // Never recursive: a filesystem that failed to unmount would be emptied.
    try {
      fs.rmdirSync(stagingDir);
    } catch {
      // still mounted (the error says so) or not empty: left as it is
    }
  }
}

async function configureFirstRoot<T>(disks: readonly string[], stagingDir: string, configure: (root: string) => T): Promise<RootConfigured<T>> {
  const tried: string[] = [];
  for (const disk of disks) {
    for (const f of await findFilesystems(disk)) {
      const label = `${f.fsType} on ${path.basename(disk)} ${f.where}`;
      if (f.fsType === "btrfs") {
        tried.push(`${label} (btrfs copies are not mounted here)`);
        continue;
      }
      const mount = (more: string[]) => run("mount", ["-t", f.fsType, "-o", [`loop`, `offset=${f.offset}`, `sizelimit=${f.size}`, ...(f.fsType === "xfs" ? ["nouuid"] : []), ...more].join(","), disk, stagingDir]);
      const unmount = () => {
        const failed = run("umount", [stagingDir]);
        if (failed) throw new Error(`could not unmount ${label} from ${stagingDir}: ${failed}`);
      };
      // Looked at read-only, so that a filesystem that is not the root stays as copied. A copy of
      // a mounted source may hold a journal to replay, which XFS cannot do read-only: such a one
      // is mounted to write, and replayed as its first boot would.
      let isWritable = false;
      let notMounted = mount(["ro"]);
      if (notMounted) {
        isWritable = true;
        notMounted = mount([]);
      }
      if (notMounted) {
        tried.push(`${label} (could not mount: ${notMounted.split("\n")[0]})`);
        continue;
      }
      const isRoot = fs.existsSync(path.join(stagingDir, "etc", "fstab"));
      if (!isRoot) {
        unmount();
        tried.push(`${label} (no /etc/fstab)`);
        continue;
      }
      if (!isWritable) {
        unmount();
        const notWritable = mount([]);
        if (notWritable) throw new Error(`could not mount ${label} to write to it: ${notWritable.split("\n")[0]}`);
      }
      try {
        return { isFound: true, where: label, result: configure(stagingDir) };
      } finally {
        unmount();
      }
    }
  }
  return { isFound: false, why: tried.length ? `no filesystem holds /etc/fstab: ${tried.join("; ")}` : "no ext, XFS or btrfs filesystem on the disks" };
}
