import { describe, expect, it } from "vitest";
import { SpeedLimit, parseWindowTimes } from "./speed-limit";

describe("speed limit", () => {
  const at = (hh: number, mm: number) => () => new Date(2026, 0, 5, hh, mm);

  it("applies a window's rate inside it, the base rate outside, and windows across midnight", () => {
    const day = parseWindowTimes("08:00-18:00")!;
    const night = parseWindowTimes("22:30-06:00")!;
    const windows = [
      { ...day, bytesPerSecond: 10 },
      { ...night, bytesPerSecond: null },
    ];
    expect(new SpeedLimit(100, windows, at(9, 0)).currentRate()).toBe(10);
    expect(new SpeedLimit(100, windows, at(18, 0)).currentRate()).toBe(100);
    expect(new SpeedLimit(100, windows, at(23, 0)).currentRate()).toBeNull();
    expect(new SpeedLimit(100, windows, at(5, 59)).currentRate()).toBeNull();
    expect(parseWindowTimes("18:00-18:00")).toBeNull();
    expect(parseWindowTimes("8-18")).toBeNull();
  });

  it("lets an override replace the schedule until cleared, and the receiver's cap always hold", () => {
    const limit = new SpeedLimit(100, [{ ...parseWindowTimes("00:00-24:00")!, bytesPerSecond: 10 }], at(12, 0));
    limit.setOverride(50);
    expect(limit.currentRate()).toBe(50);
    limit.setReceiverCap(20);
    expect(limit.currentRate()).toBe(20);
    limit.setOverride(null);
    expect(limit.currentRate()).toBe(20);
    limit.setReceiverCap(null);
    expect(limit.currentRate()).toBeNull();
    limit.setOverride(undefined);
    expect(limit.currentRate()).toBe(10);
  });

  it("refuses more than five windows", () => {
    const w = { ...parseWindowTimes("01:00-02:00")!, bytesPerSecond: 1 };
    expect(() => new SpeedLimit(null, [w, w, w, w, w, w])).toThrow(/at most 5/);
  });
});
