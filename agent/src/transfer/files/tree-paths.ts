import fs from "node:fs";
import { toPathBuffer } from "./entry-codec";

/** The kernel's PATH_MAX counts the NUL; stay well below it and reach deeper through a directory fd. */
const DIRECT_MAX = 3800;
const STRIDE = 2000;
const O_PATH = 0o10000000;
const MAX_ANCHORS = 64;

/**
 * Turns a path relative to a tree's root into one a system call accepts, however deep: short
 * ones as root/rel; long ones as /proc/self/fd/<fd of an ancestor directory>/<rest>, the
 * ancestor opened (O_PATH, O_NOFOLLOW) through the same scheme. This works on worker threads,
 * where chdir is not allowed, and never changes the process's working directory.
 */
export class TreePaths {
  private readonly anchors = new Map<string, number>();

  constructor(readonly root: string) {}

  abs(rel: string): Buffer {
    const direct = rel === "" ? this.root : `${this.root}/${rel}`;
    if (direct.length <= DIRECT_MAX) return toPathBuffer(direct);
    // Deepest "/" at or below a multiple of STRIDE: siblings in one deep folder share an anchor.
    const limit = Math.floor((rel.length - 1) / STRIDE) * STRIDE;
    let cut = rel.lastIndexOf("/", Math.max(limit, 1));
    if (cut <= 0 || rel.length - cut > DIRECT_MAX - 40) cut = rel.lastIndexOf("/", rel.length - 1);
    if (cut <= 0) throw Object.assign(new Error(`path component too long: ${rel.slice(0, 80)}...`), { code: "ENAMETOOLONG" });
    const dir = rel.slice(0, cut);
    return toPathBuffer(`/proc/self/fd/${this.anchor(dir)}/${rel.slice(cut + 1)}`);
  }

  private anchor(dir: string): number {
    let fd = this.anchors.get(dir);
    if (fd !== undefined) {
      this.anchors.delete(dir);
      this.anchors.set(dir, fd);
      return fd;
    }
    fd = fs.openSync(this.abs(dir), O_PATH | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    this.anchors.set(dir, fd);
    if (this.anchors.size > MAX_ANCHORS) {
      const [oldest, oldFd] = this.anchors.entries().next().value as [string, number];
      this.anchors.delete(oldest);
      fs.closeSync(oldFd);
    }
    return fd;
  }

  /** A directory was removed or replaced: anchors at or under it point at the old one. */
  forget(dir: string): void {
    for (const [d, fd] of this.anchors) {
      if (d === dir || d.startsWith(`${dir}/`) || dir === "") {
        this.anchors.delete(d);
        fs.closeSync(fd);
      }
    }
  }

  close(): void {
    this.forget("");
  }
}
