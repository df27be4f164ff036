/**
 * Prepares a target's disks on a thread of its own: partitioning and mkfs run for seconds or
 * minutes (a discard of a large disk, say) in synchronous child processes, and the agent's own
 * thread must go on sending heartbeats and taking commands meanwhile.
 */
import { parentPort, workerData } from "node:worker_threads";
import { isUserError } from "../errors";
import { readyPreparedTarget, type PrepareInput, type PrepareOutcome } from "./target-preparation";

let outcome: PrepareOutcome;
try {
  outcome = { isOk: true, ...readyPreparedTarget(workerData as PrepareInput) };
} catch (error) {
  outcome = isUserError(error) ? { isOk: false, message: error.message, isUserError: true, exitCode: error.exitCode } : { isOk: false, message: (error as Error).stack ?? String(error), isUserError: false, exitCode: 1 };
}
parentPort!.postMessage(outcome);
