import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { FERRY_FS_C } from "./ferry-fs-source";

/** The calls of ferry-fs.c: what Node 20 cannot do for a faithful file copy. */
export interface NativeFs {
  listXattrs(path: Buffer, fd?: number): [Buffer, Buffer][];
  setXattr(path: Buffer, name: Buffer, value: Buffer): void;
  removeXattr(path: Buffer, name: Buffer): void;
  mknod(path: Buffer, mode: number, rdev: number): void;
  utimens(path: Buffer | null, fd: number, mtimeSec: number, mtimeNsec: number): void;
  syncfs(fd: number): void;
  seekData(fd: number, offset: number, isHole: boolean): number;
  devParts(rdev: number): [number, number];
  /** STAT_FIELDS doubles, or null when the path does not exist. */
  lstat(path: Buffer): Float64Array | null;
  /** Names (NUL-terminated, one Buffer) and STAT_FIELDS doubles per entry; mode 0 = vanished. */
  scanDir(path: Buffer): [Buffer, Float64Array];
  /** Creates tmp, writes, chowns (flags & 2), chmods, sets mtime, renames onto final; returns its stat. */
  /** Up to max bytes of a file, or null if it vanished or is now a symlink. */
  readSmall(path: Buffer, max: number): Buffer | null;
  writeFile(tmp: Buffer, final: Buffer, data: Buffer, size: number, mode: number, uid: number, gid: number, mtimeSec: number, mtimeNsec: number, flags: number): Float64Array;
}

/** Index of each field in the doubles lstat, scanDir and writeFile return. */
export const ST = { ino: 0, mode: 1, nlink: 2, uid: 3, gid: 4, rdev: 5, size: 6, blocks: 7, mtimeSec: 8, mtimeNsec: 9, ctimeSec: 10, ctimeNsec: 11, dev: 12 } as const;
export const STAT_FIELDS = 13;
export const WRITE_SPARSE = 1;
export const WRITE_CHOWN = 2;


/** Node's own headers: <prefix>/include/node beside <prefix>/bin/node, as every Node install lays them out. */
function nodeIncludeDir(): string {
  const candidates = [
    process.env.FERRY_NODE_INCLUDE,
    path.resolve(path.dirname(process.execPath), "../include/node"),
    "/usr/include/node",
    "/usr/local/include/node",
  ].filter((d): d is string => !!d);
  const found = candidates.find((d) => fs.existsSync(path.join(d, "node_api.h")));
  if (!found) throw new Error(`Node's headers (node_api.h) are not installed; looked in ${candidates.join(", ")}`);
  return found;
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "ferry-agent", "native");
}

let loaded: NativeFs | null = null;

/**
 * Loads the addon, compiling it with the system C compiler the first time (about a second) into
 * a cache keyed by its source and Node's ABI. FERRY_NATIVE_FS may name a prebuilt .node file
 * (what a bundled agent ships).
 */
export function loadNativeFs(): NativeFs {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const prebuilt = process.env.FERRY_NATIVE_FS;
  if (prebuilt) return (loaded = require(prebuilt) as NativeFs);
  const source = Buffer.from(FERRY_FS_C);
  const key = crypto.createHash("sha256").update(source).update(`${process.versions.napi}-${process.arch}-${process.platform}`).digest("hex").slice(0, 16);
  const target = path.join(cacheDir(), `ferry-fs-${key}.node`);
  if (!fs.existsSync(target)) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const cFile = `${tmp}.c`;
    fs.writeFileSync(cFile, source);
    const cc = process.env.CC || "cc";
    try {
      execFileSync(cc, ["-O2", "-shared", "-fPIC", "-Wall", "-o", tmp, cFile, `-I${nodeIncludeDir()}`], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
      throw new Error(`cannot build the file-transfer addon with ${cc} (a C compiler and Node's headers are needed once): ${(error as Error).message}\n${stderr}`);
    } finally {
      fs.rmSync(cFile, { force: true });
    }
    fs.renameSync(tmp, target);
  }
  return (loaded = require(target) as NativeFs);
}
