/**
 * How the file-transfer addon is built and named, shared by the agent (which compiles it or
 * fetches it) and the console (which compiles it once to serve agents that have no C compiler).
 * Both sides must agree on the key, so it is computed here and nowhere else.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { FERRY_FS_C } from "./ferry-fs-source";

/**
 * The N-API version the addon is compiled for (-DNAPI_VERSION): it then loads on any Node with
 * this version or later, so a console on Node 22 can build it for agents on Node 20. The key
 * holds this, not the running Node's version, for that reason.
 */
export const NATIVE_FS_NAPI_VERSION = 8;

/** What a build is for: the addon is machine code for one OS and processor. */
export type NativeFsTarget = { platform: string; arch: string; napi: number };

export function currentNativeFsTarget(): NativeFsTarget {
  return { platform: process.platform, arch: process.arch, napi: NATIVE_FS_NAPI_VERSION };
}

/** 16 hex digits naming one build: the C source, the N-API version, the processor and the OS. */
export function nativeFsKey(target: NativeFsTarget): string {
  return crypto.createHash("sha256").update(FERRY_FS_C).update(`${target.napi}-${target.arch}-${target.platform}`).digest("hex").slice(0, 16);
}

export function nativeFsFileName(key: string): string {
  return `ferry-fs-${key}.node`;
}

/** Node's own headers: <prefix>/include/node beside <prefix>/bin/node, as every Node install lays them out. */
export function nodeIncludeDir(override?: string): string {
  const candidates = [override, path.resolve(path.dirname(process.execPath), "../include/node"), "/usr/include/node", "/usr/local/include/node"].filter(
    (d): d is string => !!d,
  );
  const found = candidates.find((d) => fs.existsSync(path.join(d, "node_api.h")));
  if (!found) throw new Error(`Node's headers (node_api.h) are not installed; looked in ${candidates.join(", ")}`);
  return found;
}

/** The compiler's arguments to build `cFile` (FERRY_FS_C written out) into the shared object `output`. */
export function nativeFsCompileArgs(output: string, cFile: string, includeDir: string): string[] {
  return ["-O2", "-shared", "-fPIC", "-Wall", `-DNAPI_VERSION=${NATIVE_FS_NAPI_VERSION}`, "-o", output, cFile, `-I${includeDir}`];
}
