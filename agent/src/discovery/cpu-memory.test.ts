import { describe, expect, it } from "vitest";
import { parseCpuinfo, parseMemTotalBytes } from "./cpu-memory";

describe("parseCpuinfo", () => {
  it("counts processors and reads the x86 model name", () => {
    const text = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)  Gold 6148\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R)  Gold 6148\n";
    expect(parseCpuinfo(text)).toEqual({ count: 2, model: "Intel(R) Xeon(R) Gold 6148" });
  });
});

describe("parseMemTotalBytes", () => {
  it("turns MemTotal KiB into bytes", () => {
    expect(parseMemTotalBytes("MemTotal:        1014656 kB\nMemFree: 1 kB\n")).toBe(1014656 * 1024);
    expect(parseMemTotalBytes("nothing here")).toBeNull();
  });
});
