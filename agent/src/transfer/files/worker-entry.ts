import { workerData } from "node:worker_threads";

/**
 * In a bundled agent there are no worker files beside it: the bundle starts itself as a worker
 * with workerData.ferryWorker naming the role, and cli.ts hands over to this function.
 */
export const WORKER_ROLE_KEY = "ferryWorker";

export async function runWorkerRole(): Promise<void> {
  const role = (workerData as Record<string, unknown>)[WORKER_ROLE_KEY];
  if (role === "walk") await import("./walk-worker");
  else if (role === "write") await import("./write-worker");
  else if (role === "write-helper") await import("./write-helper");
  else if (role === "prepare") await import("../../control/prepare-worker");
  else throw new Error(`unknown worker role ${String(role)}`);
}
