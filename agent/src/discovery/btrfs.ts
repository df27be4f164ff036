import type { SourceReport } from "../protocol/v1/report";
import type { Host } from "./host";
import type { MountEntry } from "./mounts";

type Subvolume = SourceReport["btrfsSubvolumes"][number];

/** `btrfs subvolume list <mount>` prints "ID 256 gen 9 top level 5 path @home". */
export function parseSubvolumeList(text: string): { id: number; path: string }[] {
  return text
    .split("\n")
    .map((line) => /^ID\s+(\d+)\s.*?\spath\s+(.+)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ id: Number(match[1]), path: (match[2] ?? "").replace(/^<FS_TREE>\//, "") }));
}

function mountedAt(mounts: MountEntry[], fsKey: string, path: string): string | null {
  return mounts.find((m) => keyOf(m) === fsKey && m.root.replace(/^\//, "") === path)?.mountPoint ?? null;
}

// Each btrfs file system has one anonymous device number shared by all its mounts.
function keyOf(mount: MountEntry): string {
  return `${mount.majMin} ${mount.source}`;
}

/** Without the btrfs tool, the mounted subvolumes are still named in the mount options. */
function mountedSubvolumes(mounts: MountEntry[]): Subvolume[] {
  return mounts.flatMap((mount) => {
    const path = /(?:^|,)subvol=\/?([^,]*)/.exec(mount.superOptions)?.[1] ?? mount.root.replace(/^\//, "");
    if (!path) return [];
    const id = /(?:^|,)subvolid=(\d+)/.exec(mount.superOptions)?.[1];
    return [{ id: id ? Number(id) : null, path, mountPoint: mount.mountPoint }];
  });
}

export async function readBtrfsSubvolumes(host: Host, mounts: MountEntry[], notes: string[]): Promise<Subvolume[]> {
  const btrfsMounts = mounts.filter((m) => m.fsType === "btrfs");
  if (btrfsMounts.length === 0) return [];
  const fileSystems = new Map<string, MountEntry>();
  for (const mount of btrfsMounts) if (!fileSystems.has(keyOf(mount))) fileSystems.set(keyOf(mount), mount);

  if (!(await host.findTool("btrfs"))) {
    notes.push("btrfs is mounted but btrfs-progs is not installed: only mounted subvolumes are listed");
    return mountedSubvolumes(btrfsMounts);
  }
  const result: Subvolume[] = [];
  for (const [fsKey, mount] of fileSystems) {
    const listed = await host.runTool("btrfs", ["subvolume", "list", mount.mountPoint]);
    if (!listed.ok) {
      notes.push(`could not list btrfs subvolumes under ${mount.mountPoint} (${listed.reason})`);
      result.push(...mountedSubvolumes(btrfsMounts.filter((m) => keyOf(m) === fsKey)));
      continue;
    }
    for (const { id, path } of parseSubvolumeList(listed.stdout)) {
      result.push({ id, path, mountPoint: mountedAt(btrfsMounts, fsKey, path) });
    }
  }
  return result;
}
