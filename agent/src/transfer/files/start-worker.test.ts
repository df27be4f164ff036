import os from "node:os";
import { describe, expect, it } from "vitest";
import { heapLimitMb, startWorker } from "./start-worker";

describe("worker threads", () => {
  it("may grow their heap to three quarters of the machine's memory, past V8's default for a thread", async () => {
    const worker = startWorker(new URL("./testing/heap-probe.ts", import.meta.url), "walk");
    const limit = await new Promise<number>((resolve, reject) => worker.once("message", resolve).once("error", reject));
    await worker.terminate();
    expect(heapLimitMb()).toBeGreaterThanOrEqual(Math.round((os.totalmem() * 0.75) / 2 ** 20));
    expect(limit / 2 ** 20).toBeGreaterThanOrEqual(heapLimitMb());
  });
});
