import { execFile } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export type ToolResult = { ok: true; stdout: string } | { ok: false; reason: string };

/**
 * Everything discovery reads from the machine goes through here, so tests can point it at a
 * fake /proc and /sys tree (root) and fake tools, and so every read degrades to null, never a throw.
 */
export type Host = {
  platform: NodeJS.Platform;
  /** Prefix for every absolute path read: "/" on a real machine. */
  root: string;
  readText(file: string): Promise<string | null>;
  readDir(dir: string): Promise<string[] | null>;
  exists(file: string): Promise<boolean>;
  /** Reads the first `length` bytes of a file or device; null when it cannot be opened. */
  readHead(file: string, length: number): Promise<Buffer | null>;
  statfs(mountPoint: string): Promise<{ usedBytes: number; freeBytes: number } | null>;
  /** Absolute path of an executable found on PATH (or in the sbin directories), or null. */
  findTool(name: string): Promise<string | null>;
  runTool(name: string, args: string[]): Promise<ToolResult>;
  hostname(): string;
  kernelRelease(): string;
  machine(): string;
  networkInterfaces(): NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  cpus(): os.CpuInfo[];
};

const TOOL_TIMEOUT_MS = 10_000;
const TOOL_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
// Storage tools live in sbin, which is often missing from a non-root PATH.
const EXTRA_TOOL_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"];

export type SystemHostOptions = {
  root?: string;
  pathEnv?: string;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
};

export function createSystemHost(options: SystemHostOptions = {}): Host {
  const root = options.root ?? "/";
  const resolve = (file: string) => path.join(root, file);
  const pathEnv = options.pathEnv ?? process.env.PATH ?? "";
  const timeoutMs = options.timeoutMs ?? TOOL_TIMEOUT_MS;
  const toolCache = new Map<string, Promise<string | null>>();

  async function findTool(name: string): Promise<string | null> {
    const cached = toolCache.get(name);
    if (cached) return cached;
    const found = searchDirs([...pathEnv.split(path.delimiter), ...EXTRA_TOOL_DIRS], name);
    toolCache.set(name, found);
    return found;
  }

  return {
    platform: options.platform ?? process.platform,
    root,
    async readText(file) {
      try {
        return await fs.readFile(resolve(file), "utf8");
      } catch {
        return null;
      }
    },
    async readDir(dir) {
      try {
        return (await fs.readdir(resolve(dir))).sort();
      } catch {
        return null;
      }
    },
    async exists(file) {
      try {
        await fs.access(resolve(file));
        return true;
      } catch {
        return false;
      }
    },
    async readHead(file, length) {
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(resolve(file), "r");
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, 0);
        return buffer.subarray(0, bytesRead);
      } catch {
        return null;
      } finally {
        await handle?.close().catch(() => undefined);
      }
    },
    async statfs(mountPoint) {
      try {
        const stats = await fs.statfs(resolve(mountPoint));
        return {
          usedBytes: (stats.blocks - stats.bfree) * stats.bsize,
          freeBytes: stats.bavail * stats.bsize,
        };
      } catch {
        return null;
      }
    },
    findTool,
    async runTool(name, args) {
      const tool = await findTool(name);
      if (!tool) return { ok: false, reason: `${name} is not installed` };
      return new Promise((done) => {
        execFile(
          tool,
          args,
          { timeout: timeoutMs, maxBuffer: TOOL_MAX_OUTPUT_BYTES, env: { ...process.env, LC_ALL: "C" } },
          (error, stdout, stderr) => {
            if (!error) return done({ ok: true, stdout });
            const detail = String(stderr).trim().split("\n")[0] || error.message;
            const timedOut = error.killed || (error as { signal?: string }).signal === "SIGTERM";
            done({
              ok: false,
              reason: timedOut ? `${name} did not finish within ${timeoutMs / 1000}s` : `${name} failed: ${detail}`,
            });
          },
        );
      });
    },
    hostname: () => os.hostname(),
    kernelRelease: () => os.release(),
    machine: () => os.machine(),
    networkInterfaces: () => os.networkInterfaces(),
    cpus: () => os.cpus(),
  };
}

async function searchDirs(dirs: string[], name: string): Promise<string | null> {
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fsConstants.X_OK);
      const stat = await fs.stat(candidate);
      if (stat.isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}
