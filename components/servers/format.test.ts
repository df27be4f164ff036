import { describe, expect, it } from "vitest";
import { formatAgo, formatBytes } from "./format";

describe("server page formats", () => {
  it("writes sizes in binary units with three significant digits", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(200 * 1024 * 1024)).toBe("200 MiB");
    expect(formatBytes(1024 ** 4 * 1.5)).toBe("1.50 TiB");
  });

  it("says how long ago", () => {
    const now = Date.parse("2025-01-01T12:00:00Z");
    expect(formatAgo(null, now)).toBe("never");
    expect(formatAgo("2025-01-01T11:59:50Z", now)).toBe("10 s ago");
    expect(formatAgo("2025-01-01T11:50:00Z", now)).toBe("10 min ago");
    expect(formatAgo("2024-12-30T12:00:00Z", now)).toBe("2 d ago");
  });
});
