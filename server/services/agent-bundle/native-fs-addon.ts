import "server-only";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { NativeFsAddonQuery } from "@/agent/src/protocol/v1/native-fs-addon";
import { FERRY_FS_C } from "@/agent/src/transfer/files/native/ferry-fs-source";
import {
  currentNativeFsTarget,
  nativeFsCompileArgs,
  nativeFsFileName,
  nativeFsKey,
  nodeIncludeDir,
  type NativeFsTarget,
} from "@/agent/src/transfer/files/native/native-fs-build";
import { getDataDir, getEnv } from "../../env";

const run = promisify(execFile);

/** The agent's file-transfer addon as this console built it for its own machine, or why it could not. */
export type NativeFsAddon =
  | {
      isBuilt: true;
      target: NativeFsTarget;
      key: string;
      file: string;
      /** What is served: the bytes hashed, so the SHA-256 always describes what leaves. */
      bytes: Buffer;
      sha256: string;
      /** The C library it links against: agents need this one or a newer one (null: not glibc). */
      glibc: string | null;
    }
  | { isBuilt: false; target: NativeFsTarget; key: string; reason: string };

/** A console without a compiler answers from memory; one that gets cc installed notices within a minute. */
const RETRY_FAILED_BUILD_MS = 60_000;

// Next.js may load this module in several bundles of one process (the Agent page, the route): one
// build per process, so the SHA-256 the page shows is that of the bytes the route serves.
const globalForAddon = globalThis as unknown as { ferryNativeFsAddon?: { building: Promise<NativeFsAddon> | null; failedAt: number | null } };

/**
 * The addon this console serves to agents that cannot compile it, built the first time it is
 * needed (about a second) beside the agent bundle and kept for the life of the process. Never
 * rejects: a console without a C compiler works on, and says so on the Agent page.
 */
export function getNativeFsAddon(): Promise<NativeFsAddon> {
  const state = (globalForAddon.ferryNativeFsAddon ??= { building: null, failedAt: null });
  if (!state.building || (state.failedAt !== null && Date.now() - state.failedAt > RETRY_FAILED_BUILD_MS)) {
    state.failedAt = null;
    state.building = buildNativeFsAddon({ outDir: path.join(getDataDir(), "agent"), compiler: getEnv().CC }).then((addon) => {
      if (!addon.isBuilt) {
        state.failedAt = Date.now();
        console.warn(`[agent-native] the agent's file-transfer addon could not be built: ${addon.reason}`);
      }
      return addon;
    });
  }
  return state.building;
}

function glibcVersion(): string | null {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? null;
}

function describeFailure(compiler: string, error: unknown): string {
  const e = error as NodeJS.ErrnoException & { stderr?: string; path?: string };
  if (e.code === "ENOENT" && e.path === compiler) return `no C compiler: ${compiler} was not found`;
  const stderr = (e.stderr ?? "").trim().split("\n").slice(0, 3).join(" ");
  return stderr || e.message.split("\n")[0] || String(error);
}

/** Compiles the addon with `compiler` and Node's headers into outDir, checks that it loads, and hashes it. */
export async function buildNativeFsAddon(options: { outDir: string; compiler: string }): Promise<NativeFsAddon> {
  const target = currentNativeFsTarget();
  const key = nativeFsKey(target);
  const file = path.join(options.outDir, nativeFsFileName(key));
  let buildDir: string | null = null;
  try {
    fs.mkdirSync(options.outDir, { recursive: true });
    const includeDir = nodeIncludeDir();
    // A folder of its own (console instances on several hosts may share the data folder) and the
    // same relative names every time: the object records its source's name, and a build that
    // does not depend on where it ran hashes the same in every instance.
    buildDir = fs.mkdtempSync(path.join(options.outDir, ".ferry-fs-build-"));
    fs.writeFileSync(path.join(buildDir, "ferry-fs.c"), FERRY_FS_C);
    await run(options.compiler, nativeFsCompileArgs("ferry-fs.node", "ferry-fs.c", includeDir), { cwd: buildDir, timeout: 120_000 });
    const built = path.join(buildDir, "ferry-fs.node");
    // Loaded in a child, not in the console: a build that links but does not load is never served.
    await run(process.execPath, ["-e", "process.dlopen({ exports: {} }, process.argv[1])", built], { timeout: 30_000 });
    fs.chmodSync(built, 0o644);
    fs.renameSync(built, file);
    const bytes = fs.readFileSync(file);
    return { isBuilt: true, target, key, file, bytes, sha256: createHash("sha256").update(bytes).digest("hex"), glibc: glibcVersion() };
  } catch (error) {
    return { isBuilt: false, target, key, reason: describeFailure(options.compiler, error) };
  } finally {
    if (buildDir) fs.rmSync(buildDir, { recursive: true, force: true });
  }
}

/** What agents without a compiler hear when this console has nothing for them. */
const INSTALL_CC_ON_AGENT = "install a C compiler (cc) and Node's headers on the agent's server for file-level migration";

/** The build an agent asked for, or why this console has none: only the exact key it built is served. */
export function findNativeFsAddon(
  addon: NativeFsAddon,
  query: NativeFsAddonQuery,
): { isServed: true; bytes: Buffer; sha256: string; key: string } | { isServed: false; message: string } {
  if (!addon.isBuilt) {
    return { isServed: false, message: `this console could not build the agent's file-transfer addon (${addon.reason}): ${INSTALL_CC_ON_AGENT}, or cc on the console's server` };
  }
  const built = addon.target;
  if (query.platform !== built.platform || query.arch !== built.arch) {
    return { isServed: false, message: `this console builds the file-transfer addon for ${built.platform}-${built.arch} only, not ${query.platform}-${query.arch}: ${INSTALL_CC_ON_AGENT}` };
  }
  if (query.napi !== built.napi) {
    return { isServed: false, message: `this console builds the file-transfer addon for N-API ${built.napi}, not ${query.napi}: install the agent from this console's Agent page` };
  }
  if (query.key !== addon.key) {
    return { isServed: false, message: `this console's file-transfer addon (${addon.key}) is another agent version's than ${query.key}: install the agent from this console's Agent page` };
  }
  return { isServed: true, bytes: addon.bytes, sha256: addon.sha256, key: addon.key };
}
