import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { SourceReport } from "../protocol/v1/report";
import { discover } from "./discover";

// Compares discover() on this machine with what the usual tools say. Each comparison is skipped,
// with the reason in its name, when its tool is absent; none passes by comparing nothing.

function toolPath(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin", "/bin"]) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return null;
}

function run(tool: string, args: string[]): string {
  return execFileSync(tool, args, { encoding: "utf8", env: { ...process.env, LC_ALL: "C" }, timeout: 10_000 });
}

const isLinux = process.platform === "linux";
const lsblk = toolPath("lsblk");
const df = toolPath("df");
const ip = toolPath("ip");
const getconf = toolPath("getconf");
const hasOsRelease = existsSync("/etc/os-release");

// Free space moves while the tests run (other processes write); a few hundred MiB is far below any real disagreement.
const USAGE_TOLERANCE_BYTES = 512 * 1024 * 1024;

let report: SourceReport;
beforeAll(async () => {
  if (isLinux) report = await discover();
});

describe.skipIf(!isLinux)("discover() on this machine (Linux only: it reads /proc and /sys)", () => {
  it.skipIf(!lsblk)(`lists the same disks and partitions as lsblk -J -b${lsblk ? "" : " (skipped: lsblk is not installed)"}`, () => {
    type Node = { name: string; type: string; size: number | string; children?: Node[] };
    const tree = JSON.parse(run(lsblk ?? "lsblk", ["-J", "-b", "-o", "NAME,KNAME,TYPE,SIZE"])) as { blockdevices: Node[] };
    const expected = tree.blockdevices
      .filter((d) => d.type === "disk" && Number(d.size) > 0 && !/^(zram|ram|loop|nbd)/.test(d.name))
      .map((d) => ({
        name: d.name,
        sizeBytes: Number(d.size),
        partitions: (d.children ?? []).filter((c) => c.type === "part").map((c) => ({ name: c.name, sizeBytes: Number(c.size) })),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const actual = report.disks
      .map((d) => ({ name: d.name, sizeBytes: d.sizeBytes, partitions: d.partitions.map((p) => ({ name: p.name, sizeBytes: p.sizeBytes })) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(actual).toEqual(expected);
  });

  it.skipIf(!df)(`agrees with df -B1 on used and free space of every mounted disk or partition${df ? "" : " (skipped: df is not installed)"}`, () => {
    const rows = run(df ?? "df", ["-B1", "-P"])
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .map((cols) => ({ used: Number(cols[2]), available: Number(cols[3]), mountPoint: cols.slice(5).join(" ") }));
    const mounted = [...report.disks, ...report.disks.flatMap((d) => d.partitions), ...(report.lvm?.logicalVolumes ?? [])].filter(
      (v) => v.mountPoint !== null,
    );
    const root = rows.find((row) => row.mountPoint === "/");
    expect(root, "df lists the root file system").toBeDefined();
    expect(Math.abs((report.rootFreeBytes ?? -1) - (root?.available ?? 0))).toBeLessThan(USAGE_TOLERANCE_BYTES);
    for (const volume of mounted) {
      const row = rows.find((r) => r.mountPoint === volume.mountPoint);
      expect(row, `df lists ${volume.mountPoint}`).toBeDefined();
      expect(Math.abs((volume.usedBytes ?? -1) - (row?.used ?? 0))).toBeLessThan(USAGE_TOLERANCE_BYTES);
      expect(Math.abs((volume.freeBytes ?? -1) - (row?.available ?? 0))).toBeLessThan(USAGE_TOLERANCE_BYTES);
    }
  });

  it.skipIf(!ip)(`lists the same interfaces, addresses, MACs and MTUs as ip -j addr${ip ? "" : " (skipped: ip is not installed)"}`, () => {
    type Link = { ifname: string; mtu: number; address?: string; addr_info: { family: string; local: string; prefixlen: number }[] };
    const links = JSON.parse(run(ip ?? "ip", ["-j", "addr"])) as Link[];
    expect(report.network.map((n) => n.name).sort()).toEqual(links.map((l) => l.ifname).sort());
    for (const link of links) {
      const nic = report.network.find((n) => n.name === link.ifname);
      expect(nic?.mtu, `${link.ifname} MTU`).toBe(link.mtu);
      if (link.address) expect(nic?.mac, `${link.ifname} MAC`).toBe(link.address);
      const expected = link.addr_info.map((a) => `${a.local}/${a.prefixlen}/${a.family === "inet6" ? "ipv6" : "ipv4"}`).sort();
      const actual = (nic?.addresses ?? []).map((a) => `${a.address}/${a.prefix}/${a.family}`).sort();
      expect(actual, `${link.ifname} addresses`).toEqual(expected);
    }
  });

  it.skipIf(!ip)(`finds the same default IPv4 gateway as ip -j route${ip ? "" : " (skipped: ip is not installed)"}`, () => {
    const routes = JSON.parse(run(ip ?? "ip", ["-j", "-4", "route", "show", "default"])) as { gateway?: string; dev: string }[];
    const expected = routes.filter((r) => r.gateway).map((r) => `${r.dev} ${r.gateway}`);
    const actual = report.network.filter((n) => n.gateway).map((n) => `${n.name} ${n.gateway}`);
    expect(actual.sort()).toEqual([...new Set(expected)].sort());
  });

  it.skipIf(!hasOsRelease)(`reads the same distribution as /etc/os-release sourced by sh${hasOsRelease ? "" : " (skipped: no /etc/os-release)"}`, () => {
    // The shell is the reference parser os-release(5) was written for.
    const [id = "", versionId = "", prettyName = ""] = run("sh", ["-c", '. /etc/os-release; printf "%s\\n%s\\n%s" "$ID" "$VERSION_ID" "$PRETTY_NAME"']).split("\n");
    expect(report.os).toMatchObject({ family: "linux", id, versionId: versionId || null, prettyName });
  });

  it.skipIf(!getconf)(`reads the same glibc as getconf GNU_LIBC_VERSION${getconf ? "" : " (skipped: getconf is not installed)"}`, () => {
    const output = run(getconf ?? "getconf", ["GNU_LIBC_VERSION"]).trim();
    expect(`glibc ${report.glibc}`).toBe(output);
  });

  it("counts the same CPUs and memory as /proc", () => {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    expect(report.cpu.count).toBe(cpuinfo.split("\n").filter((l) => l.startsWith("processor")).length);
    const kib = Number(/MemTotal:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]);
    expect(report.memoryBytes).toBe(kib * 1024);
  });
});
