import os from "node:os";
import { describe, expect, it, vi } from "vitest";
import { heapLimitMb, startWorker, usableMemory } from "./start-worker";

describe("worker threads", () => {
  it("may grow their heap to three quarters of the machine's (or container's) memory, past V8's default for a thread", async () => {
    const worker = startWorker(new URL("./testing/heap-probe.ts", import.meta.url), "walk");
    const limit = await new Promise<number>((resolve, reject) => worker.once("message", resolve).once("error", reject));
    await worker.terminate();
    expect(usableMemory()).toBeLessThanOrEqual(os.totalmem());
    expect(heapLimitMb()).toBeGreaterThanOrEqual(Math.round((usableMemory() * 0.75) / 2 ** 20));
    expect(limit / 2 ** 20).toBeGreaterThanOrEqual(heapLimitMb());
  });

  it("counts a container's memory limit when it is below the machine's", () => {
    const spy = vi.spyOn(process, "constrainedMemory").mockReturnValue(2 ** 30);
    try {
      expect(usableMemory()).toBe(Math.min(2 ** 30, os.totalmem()));
      spy.mockReturnValue(2 ** 64);
      expect(usableMemory()).toBe(os.totalmem());
    } finally {
      spy.mockRestore();
    }
  });
});
