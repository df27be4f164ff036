import v8 from "node:v8";
import { parentPort } from "node:worker_threads";

/** A worker for start-worker.test.ts: tells its heap limit. */
parentPort!.postMessage(v8.getHeapStatistics().heap_size_limit);
