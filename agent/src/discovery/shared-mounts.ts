import type { ReportSharedMount } from "../protocol/v1/report";
import type { MountEntry } from "./mounts";

const SHARED_TYPES: Record<string, ReportSharedMount["type"]> = {
  nfs: "nfs",
  nfs4: "nfs",
  cifs: "cifs",
  smb3: "cifs",
  smbfs: "cifs",
  glusterfs: "glusterfs",
  "fuse.glusterfs": "glusterfs",
  ceph: "cephfs",
  "fuse.ceph": "cephfs",
  "fuse.sshfs": "sshfs",
  "fuse.s3fs": "other",
  afs: "other",
  "9p": "other",
  lustre: "other",
  gpfs: "other",
  ocfs2: "other",
  gfs2: "other",
};

/** Network and cluster file systems: their data lives elsewhere and is not migrated with the server. */
export function sharedMountsFrom(mounts: MountEntry[]): ReportSharedMount[] {
  return mounts.flatMap((mount) => {
    const type = SHARED_TYPES[mount.fsType];
    return type ? [{ type, fsType: mount.fsType, source: mount.source, mountPoint: mount.mountPoint }] : [];
  });
}
