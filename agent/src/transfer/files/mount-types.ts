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

export function parseMountInfo(text: string): Map<string, MountInfo> {
  const byDev = new Map<string, MountInfo>();
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const sep = fields.indexOf("-");
    if (sep < 6) continue;
    // The last mount of a device wins, as it is the one visible.
    byDev.set(fields[2]!, { mountPoint: unescapeMountField(fields[4]!), fsType: fields[sep + 1]! });
  }
  return byDev;
}

export function readMountInfo(): Map<string, MountInfo> {
  try {
    return parseMountInfo(fs.readFileSync("/proc/self/mountinfo", "utf8"));
  } catch {
    return new Map();
  }
}
