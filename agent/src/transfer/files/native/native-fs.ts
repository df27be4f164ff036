import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

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
}

const SOURCE = path.join(import.meta.dirname, "ferry-fs.c");

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
  const source = fs.readFileSync(SOURCE);
  const key = crypto.createHash("sha256").update(source).update(`${process.versions.napi}-${process.arch}-${process.platform}`).digest("hex").slice(0, 16);
  const target = path.join(cacheDir(), `ferry-fs-${key}.node`);
  if (!fs.existsSync(target)) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const cc = process.env.CC || "cc";
    try {
      execFileSync(cc, ["-O2", "-shared", "-fPIC", "-Wall", "-o", tmp, SOURCE, `-I${nodeIncludeDir()}`], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
      throw new Error(`cannot build the file-transfer addon with ${cc} (a C compiler and Node's headers are needed once): ${(error as Error).message}\n${stderr}`);
    }
    fs.renameSync(tmp, target);
  }
  return (loaded = require(target) as NativeFs);
}
