import fs from "node:fs";

/**
 * Filesystems a migration never copies: kernel views (proc, sysfs...), memory-backed ones that
 * are rebuilt at boot (tmpfs under /run, /dev/shm...), shared network filesystems (NFS, CIFS),
 * which belong to another server, and views whose bytes live elsewhere on the copied disks and
 * that their owners mount again at start (overlay: a container's root over its layers in
 * /var/lib/docker; squashfs: a snap over its .snap file) or that are media (iso9660, udf).
 */
export const SKIPPED_FS_TYPES = new Set([
  "overlay", "squashfs", "fuse.snapfuse", "fuse.squashfuse", "fuse.lxcfs", "iso9660", "udf",
  "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "cgroup", "cgroup2", "debugfs", "tracefs",
  "securityfs", "pstore", "bpf", "mqueue", "hugetlbfs", "configfs", "fusectl", "binfmt_misc", "autofs",
  "efivarfs", "rpc_pipefs", "nsfs", "selinuxfs", "overlay-proc", "fuse.gvfsd-fuse", "fuse.portal",
  "nfs", "nfs4", "nfsd", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "fuse.glusterfs", "fuse.sshfs", "9p", "afs", "lustre",
]);

export interface MountInfo {
  fsType: string;
  mountPoint: string;
}

/** glibc's dev_t split, as "major:minor" the way /proc/self/mountinfo writes it. */
export function devKey(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** One line of /proc/self/mountinfo: paths as latin1 strings (one char per byte), in mount order. */
export interface MountLine {
  /** "major:minor" of the filesystem. */
  dev: string;
  /** The folder of that filesystem the mount shows ("/" for all of it; deeper for a bind mount). */
  root: string;
  mountPoint: string;
  fsType: string;
}

export function parseMountLines(text: string): MountLine[] {
  const lines: MountLine[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const sep = fields.indexOf("-");
    if (sep < 6) continue;
    lines.push({ dev: fields[2]!, root: unescapeMountField(fields[3]!), mountPoint: unescapeMountField(fields[4]!), fsType: fields[sep + 1]! });
  }
  return lines;
}

export function parseMountInfo(text: string): Map<string, MountInfo> {
  const byDev = new Map<string, MountInfo>();
  // The last mount of a device wins, as it is the one visible.
  for (const m of parseMountLines(text)) byDev.set(m.dev, { mountPoint: m.mountPoint, fsType: m.fsType });
  return byDev;
}

export function readMountLines(): MountLine[] {
  try {
    return parseMountLines(fs.readFileSync("/proc/self/mountinfo", "latin1"));
  } catch {
    return [];
  }
}

export function readMountInfo(): Map<string, MountInfo> {
  const byDev = new Map<string, MountInfo>();
  for (const m of readMountLines()) byDev.set(m.dev, { mountPoint: m.mountPoint, fsType: m.fsType });
  return byDev;
}

function isAtOrBelow(p: string, dir: string): boolean {
  return dir === "/" ? p.startsWith("/") : p === dir || p.startsWith(`${dir}/`);
}

/** Where mount p shows the folder root of its filesystem (root at or below p's own root). */
function shownBy(p: MountLine, root: string): string {
  const rest = p.root === "/" ? (root === "/" ? "" : root) : root.slice(p.root.length);
  if (rest === "") return p.mountPoint;
  return p.mountPoint === "/" ? rest : `${p.mountPoint}${rest}`;
}

/**
 * Bind mounts inside a walk whose contents the walk also meets where they live: a folder of the
 * same filesystem shown a second time (mount --bind /srv/www /var/www, or a whole filesystem
 * mounted twice). Copying both would store the bytes twice on the target, where the bind is
 * mounted again at boot from fstab. Returns, by mount point relative to walkRoot, the path
 * where the walk copies its contents.
 *
 * A mount M is such a view when another mount P of the same filesystem, decided first (a
 * shorter root, or the same root mounted earlier) and not itself a view, shows M's root at a
 * path inside the walk that the walk enters (isWalked), that is not inside M and that no
 * other mount hides. Overmounted mount points count by their last mount only. Kept whole, as
 * the cautious choice: btrfs mounts, and a view with another mount inside it.
 */
export function bindViews(lines: MountLine[], walkRoot: string, isWalked: (rel: string) => boolean): Map<string, string> {
  const visible = new Map<string, { line: MountLine; order: number }>();
  lines.forEach((line, order) => visible.set(line.mountPoint, { line, order }));
  const mounts = [...visible.values()].sort((a, b) => a.line.root.length - b.line.root.length || a.order - b.order);
  const relOf = (p: string) => (p === walkRoot ? "" : p.slice(walkRoot === "/" ? 1 : walkRoot.length + 1));
  const hides = (at: string, under: MountLine) =>
    mounts.some(({ line }) => line !== under && isAtOrBelow(at, line.mountPoint) && line.mountPoint.length > under.mountPoint.length);
  const kept: MountLine[] = [];
  const views = new Map<string, string>();
  for (const { line: m } of mounts) {
    // btrfs: subvolumes mounted as /@, /@home... share a device; the top one may show them all.
    const inWalk = isAtOrBelow(m.mountPoint, walkRoot) && m.mountPoint !== walkRoot && m.fsType !== "btrfs";
    const shownAt = !inWalk
      ? null
      : kept
          .filter((p) => p.dev === m.dev && isAtOrBelow(m.root, p.root))
          .map((p) => ({ p, at: shownBy(p, m.root) }))
          .find(({ p, at }) => isAtOrBelow(at, walkRoot) && !isAtOrBelow(at, m.mountPoint) && !hides(at, p) && isWalked(relOf(at)));
    if (shownAt) views.set(m.mountPoint, shownAt.at);
    else kept.push(m);
  }
  // A view with another mount inside it, seen only through it, is copied after all.
  const result = new Map<string, string>();
  for (const [mountPoint, at] of views) {
    if (!mounts.some(({ line }) => line.mountPoint !== mountPoint && isAtOrBelow(line.mountPoint, mountPoint))) result.set(relOf(mountPoint), at);
  }
  return result;
}
