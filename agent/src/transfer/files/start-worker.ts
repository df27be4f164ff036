import fs from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";
import { WORKER_ROLE_KEY } from "./worker-entry";

/**
 * Starts one of our worker modules. From the TypeScript sources the worker first registers tsx
 * (its hooks do not reach worker threads by themselves). In a bundled agent the module file does
 * not exist: the bundle starts itself with the role in workerData (see worker-entry.ts, cli.ts).
 */
export function startWorker(moduleUrl: URL, role: "walk" | "write" | "write-helper" | "prepare", options: WorkerOptions = {}): Worker {
  if (moduleUrl.pathname.endsWith(".ts") && fs.existsSync(fileURLToPath(moduleUrl))) {
    // The ESM entry of tsx's API (require.resolve would give the CommonJS one).
    const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
    const source = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
    return new Worker(source, { ...options, eval: true });
  }
  const data = (options.workerData ?? {}) as Record<string, unknown>;
  return new Worker(new URL(import.meta.url), { ...options, workerData: { ...data, [WORKER_ROLE_KEY]: role } });
}
