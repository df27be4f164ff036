import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { FERRY_FS_C } from "./ferry-fs-source";
import { currentNativeFsTarget, nativeFsCompileArgs, nativeFsFileName, nativeFsKey, nodeIncludeDir } from "./native-fs-build";

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
  /** XXH64 of data with a seed below 2^53, big-endian. */
  xxh64(data: Uint8Array, seed: number): Buffer;
  /** XXH64 with seed tag, then with seed tag + 2^32: 16 bytes (file-hash.ts). */
  hash16(data: Uint8Array, tag: number): Buffer;
  /** The XOR of hash16(tag) over data[ranges[2i], ranges[2i+1]) for each pair. */
  xorHash16(data: Uint8Array, ranges: Int32Array, tag: number): Buffer;
  /** 16 bytes for a folder's children as scanDir found them: names, inodes and ctimes (walk-index.ts childFactsOf). */
  childFacts(names: Buffer, stats: Float64Array): Buffer;
  /** A block chunk's window records, the same bytes as chunk-hash.ts makes with hash-wasm. */
  chunkWindows(ext: Uint8Array, parts: readonly Uint8Array[]): Buffer;
}

/** Index of each field in the doubles lstat, scanDir and writeFile return. */
export const ST = { ino: 0, mode: 1, nlink: 2, uid: 3, gid: 4, rdev: 5, size: 6, blocks: 7, mtimeSec: 8, mtimeNsec: 9, ctimeSec: 10, ctimeNsec: 11, dev: 12 } as const;
export const STAT_FIELDS = 13;
export const WRITE_SPARSE = 1;
export const WRITE_CHOWN = 2;

/** What a server that has no addon needs, said wherever one could not be had. */
export const NATIVE_FS_INSTALL_HINT =
  "install a C compiler (cc, e.g. gcc) and Node's headers (node_api.h: in Node's official builds; libnode-dev on Debian/Ubuntu, nodejs-devel on RHEL) on this server, " +
  "or set FERRY_NATIVE_FS to a prebuilt ferry-fs .node for this machine, or run the agent against a console that could build it (one with cc)";

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "ferry-agent", "native");
}

/** Where this agent keeps (or would keep) the build for its machine, whether compiled or fetched. */
export function nativeFsCachePath(): string {
  return path.join(cacheDir(), nativeFsFileName(nativeFsKey(currentNativeFsTarget())));
}

/** Compiles the addon with $CC (default cc) into `target`, atomically: a failed build leaves nothing. */
function compileNativeFs(target: string): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const cFile = `${tmp}.c`;
  const cc = process.env.CC || "cc";
  try {
    fs.writeFileSync(cFile, FERRY_FS_C);
    execFileSync(cc, nativeFsCompileArgs(tmp, cFile, nodeIncludeDir(process.env.FERRY_NODE_INCLUDE)), { stdio: ["ignore", "ignore", "pipe"] });
    fs.renameSync(tmp, target);
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`cannot build the file-transfer addon with ${cc} (${(error as Error).message.split("\n")[0]}): ${NATIVE_FS_INSTALL_HINT}${stderr ? `\n${stderr}` : ""}`);
  } finally {
    fs.rmSync(cFile, { force: true });
    fs.rmSync(tmp, { force: true });
  }
}

let loaded: NativeFs | null = null;

/**
 * Loads the addon: FERRY_NATIVE_FS when it names a prebuilt .node file, else the build cached for
 * this machine (compiled or fetched from the console by prepareNativeFs), else compiles it with
 * the system C compiler into that cache (about a second, once). Synchronous, so worker threads
 * and hot paths call it freely; an agent that runs against a console awaits prepareNativeFs()
 * once at start-up, so this finds the console's build when the server has no compiler.
 */
export function loadNativeFs(): NativeFs {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const prebuilt = process.env.FERRY_NATIVE_FS;
  if (prebuilt) return (loaded = require(prebuilt) as NativeFs);
  const target = nativeFsCachePath();
  if (!fs.existsSync(target)) compileNativeFs(target);
  return (loaded = require(target) as NativeFs);
}
