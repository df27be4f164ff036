import { describe, expect, it } from "vitest";
import { HostMetrics, parseDiskstats, parseMeminfo, parseProcStat } from "./host-metrics";
import { defaultReceiveHost, formatAddress, isInside, parsePortRange } from "./target-offer";

describe("host metrics from /proc", () => {
  it("counts iowait as idle and leaves guest time out of the total", () => {
    expect(parseProcStat("cpu  100 0 50 800 50 0 0 0 30 0\ncpu0 1 2 3 4\n")).toEqual({ busy: 150, total: 1000 });
    expect(parseProcStat("intr 1 2 3\n")).toBeNull();
  });

  it("reads used memory as total minus available", () => {
    expect(parseMeminfo("MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\n")).toEqual({ usedBytes: 600 * 1024, totalBytes: 1000 * 1024 });
  });

  it("sums sectors read of whole disks only, not partitions, loops or stacked devices", () => {
    const text = [
      "   8       0 sda 10 0 2000 0 0 0 0 0 0 0 0",
      "   8       1 sda1 5 0 1500 0 0 0 0 0 0 0 0",
      "   7       0 loop0 1 0 999 0 0 0 0 0 0 0 0",
      " 253       0 dm-0 1 0 777 0 0 0 0 0 0 0 0",
      " 259       0 nvme0n1 1 0 10 0 0 0 0 0 0 0 0",
    ].join("\n");
    expect(parseDiskstats(text, (name) => name === "sda" || name === "nvme0n1" || name === "dm-0")).toBe(2010 * 512);
  });

  it("reports values the progress schema accepts", () => {
    const m = new HostMetrics();
    const r = m.read();
    expect(r.host.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(r.host.cpuPercent).toBeLessThanOrEqual(100);
    expect(r.host.memoryTotalBytes).toBeGreaterThan(0);
    expect(r.agent.rssBytes).toBeGreaterThan(0);
  });
});

describe("target offer", () => {
  it("picks the first non-loopback IPv4 address, then IPv6 (not link-local), then the host name", () => {
    const lo = { address: "127.0.0.1", family: "IPv4", internal: true } as const;
    const v6ll = { address: "fe80::1", family: "IPv6", internal: false } as const;
    const v6 = { address: "2001:db8::5", family: "IPv6", internal: false } as const;
    const v4 = { address: "10.0.0.5", family: "IPv4", internal: false } as const;
    const iface = (list: object[]) => ({ eth0: list }) as unknown as NodeJS.Dict<import("node:os").NetworkInterfaceInfo[]>;
    expect(defaultReceiveHost(iface([lo, v6ll, v6, v4]), "h")).toBe("10.0.0.5");
    expect(defaultReceiveHost(iface([lo, v6ll, v6]), "h")).toBe("2001:db8::5");
    expect(defaultReceiveHost(iface([lo, v6ll]), "h")).toBe("h");
    expect(formatAddress("2001:db8::5", 7000)).toBe("[2001:db8::5]:7000");
  });

  it("parses port ranges and refuses upside-down or out-of-range ones", () => {
    expect(parsePortRange("7000-7099")).toEqual({ first: 7000, last: 7099 });
    expect(() => parsePortRange("7099-7000")).toThrow(/FIRST-LAST/);
    expect(() => parsePortRange("0-10")).toThrow(/FIRST-LAST/);
  });

  it("treats only strict descendants as inside", () => {
    expect(isInside("/srv/root/a", "/srv/root")).toBe(true);
    expect(isInside("/srv/root", "/srv/root")).toBe(false);
    expect(isInside("/srv/rootkit", "/srv/root")).toBe(false);
    expect(isInside("/srv/root/../x", "/srv/root")).toBe(false);
  });
});
