/** Builders of real disk images for tests: mkfs.ext4 -d trees, sfdisk-partitioned disks. */
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function hasTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ferry-${prefix}-`));
}

/** A seeded generator so a failing test can be re-run with the same bytes and choices. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Writes a tree of mostly incompressible files (and a few text ones); returns relative paths. */
export function writeTree(dir: string, fileCount: number, maxFileBytes: number, seed: number): string[] {
  const rand = seededRandom(seed);
  const files: string[] = [];
  for (let i = 0; i < fileCount; i++) {
    const sub = `d${i % 5}`;
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
    const rel = `${sub}/f${i}.bin`;
    const size = Math.floor(rand() * maxFileBytes);
    const data = i % 7 === 0 ? Buffer.from("ferry text line\n".repeat(Math.ceil(size / 16))).subarray(0, size) : crypto.randomBytes(size);
    fs.writeFileSync(path.join(dir, rel), data);
    files.push(rel);
  }
  return files;
}

export function makeExtImage(file: string, sizeMiB: number, tree: string, mkfsArgs: string[] = []): void {
  fs.rmSync(file, { force: true });
  execFileSync("truncate", ["-s", `${sizeMiB}M`, file]);
  execFileSync("mkfs.ext4", ["-q", "-F", ...mkfsArgs, "-d", tree, file], { stdio: "pipe" });
}

export function debugfsCat(image: string, file: string): Buffer {
  return execFileSync("debugfs", ["-R", `cat /${file}`, image], { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 256 * 1024 * 1024 });
}

export function e2fsckClean(image: string): { isClean: boolean; output: string } {
  const r = spawnSync("e2fsck", ["-fn", image], { encoding: "utf8" });
  return { isClean: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export function sha256File(file: string, start = 0, end?: number): string {
  const h = crypto.createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const stop = end ?? fs.fstatSync(fd).size;
    const buf = Buffer.alloc(1024 * 1024);
    for (let pos = start; pos < stop; ) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, stop - pos), pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

/** Copies `src` into `disk` at byte `offset` (for putting a filesystem image into a partition). */
export function placeImage(disk: string, offset: number, src: string): void {
  execFileSync("dd", [`if=${src}`, `of=${disk}`, "bs=1M", `seek=${offset}`, "oflag=seek_bytes", "conv=notrunc,sparse", "status=none"]);
}

export function partitionDisk(disk: string, sizeMiB: number, script: string): void {
  fs.rmSync(disk, { force: true });
  execFileSync("truncate", ["-s", `${sizeMiB}M`, disk]);
  execFileSync("sfdisk", ["-q", disk], { input: script, stdio: ["pipe", "ignore", "pipe"] });
}
