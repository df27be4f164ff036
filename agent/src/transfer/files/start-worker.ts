import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import v8 from "node:v8";
import { Worker, type WorkerOptions } from "node:worker_threads";
import { WORKER_ROLE_KEY } from "./worker-entry";

export type WorkerRole = "walk" | "write" | "write-helper" | "prepare";

declare const FERRY_WORKER_BUNDLES: Partial<Record<WorkerRole, string>> | undefined;
/** The bundled agent's own bundle of each worker role (agent/build.mjs); none when run from the sources. */
const workerBundles: Partial<Record<WorkerRole, string>> = typeof FERRY_WORKER_BUNDLES === "undefined" ? {} : FERRY_WORKER_BUNDLES;

/**
 * A role's bundle as a file in the agent's cache, named by its hash and written once; null when
 * the agent has no bundle for the role or the cache cannot be written.
 */
function roleBundleFile(role: WorkerRole): string | null {
  const code = workerBundles[role];
  if (!code) return null;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  const file = path.join(base, "ferry-agent", "workers", `${role}-${crypto.createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  if (fs.existsSync(file)) return file;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
    return file;
  } catch {
    return null;
  }
}

/**
 * The walker and the writer hold about 1 KB per entry of the tree (records, the index, the
 * manifest), but V8 sizes a thread's heap by the machine's memory: a quarter of it, at most 4 GiB,
 * so a 4 GiB machine would stop at about a million entries with memory to spare. Threads may
 * use three quarters of the memory instead (the container's limit, when it has a smaller one),
 * never less than V8's own limit.
 */
export function heapLimitMb(): number {
  const v8Default = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
  return Math.round(Math.max(v8Default, (usableMemory() * 0.75) / 2 ** 20));
}

/** The machine's memory, or the cgroup's limit on this process when that is smaller. */
export function usableMemory(): number {
  const constrained = process.constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < os.totalmem() ? constrained : os.totalmem();
}

/**
 * Starts one of our worker modules.
 * - From the TypeScript sources, the worker first registers tsx (its hooks do not reach worker
 *   threads by themselves).
 * - In a bundled agent, from the role's own bundle (agent/build.mjs: about a tenth of the agent,
 *   so a thread compiles only its own code), kept as a file in the agent's cache; failing that,
 *   the whole agent starts itself with the role in workerData (see worker-entry.ts, cli.ts).
 */
export function startWorker(moduleUrl: URL, role: WorkerRole, options: WorkerOptions = {}): Worker {
  options = { ...options, resourceLimits: { maxOldGenerationSizeMb: heapLimitMb(), ...options.resourceLimits } };
  if (moduleUrl.pathname.endsWith(".ts") && fs.existsSync(fileURLToPath(moduleUrl))) {
    // The ESM entry of tsx's API (require.resolve would give the CommonJS one).
    const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
    const source = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
    return new Worker(source, { ...options, eval: true });
  }
  const own = roleBundleFile(role);
  if (own) return new Worker(pathToFileURL(own), options);
  const data = (options.workerData ?? {}) as Record<string, unknown>;
  return new Worker(new URL(import.meta.url), { ...options, workerData: { ...data, [WORKER_ROLE_KEY]: role } });
}
