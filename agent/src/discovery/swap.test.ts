import { describe, expect, it } from "vitest";
import { parseProcSwaps } from "./swap";

describe("parseProcSwaps", () => {
  it("reads partitions and files with sizes in KiB", () => {
    const text = `Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority
/dev/dm-1                               partition\t2097148\t\t1024\t\t-2
/swap\\040file                            file\t\t524284\t\t0\t\t-3
`;
    expect(parseProcSwaps(text)).toEqual([
      { path: "/dev/dm-1", type: "partition", sizeBytes: 2097148 * 1024, usedBytes: 1024 * 1024, priority: -2 },
      { path: "/swap file", type: "file", sizeBytes: 524284 * 1024, usedBytes: 0, priority: -3 },
    ]);
  });

  it("reads no swap from the header alone", () => {
    expect(parseProcSwaps("Filename\tType\tSize\tUsed\tPriority\n")).toEqual([]);
  });
});
