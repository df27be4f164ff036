import { describe, expect, it } from "vitest";
import { parseRate } from "./parse-rate";

describe("parseRate", () => {
  it("reads binary, decimal and bit units", () => {
    expect(parseRate("50M")).toBe(50 * 1024 * 1024);
    expect(parseRate("50MB/s")).toBe(50_000_000);
    expect(parseRate("400Mbit")).toBe(50_000_000);
    expect(parseRate("1.5G")).toBe(1.5 * 1024 ** 3);
    expect(parseRate("fast")).toBeNull();
    expect(parseRate("0")).toBeNull();
  });
});
