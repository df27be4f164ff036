import { describe, expect, it } from "vitest";
import { type SourceReport, parseSourceReport, sourceReportSchema } from "./report";

function validReport(): SourceReport {
  return {
    hostname: "db-01",
    os: { family: "linux", name: "Ubuntu", version: "22.04.4 LTS (Jammy Jellyfish)", id: "ubuntu", versionId: "22.04", prettyName: "Ubuntu 22.04.4 LTS" },
    kernel: "5.15.0-105-generic",
    glibc: "2.35",
    arch: "x86_64",
    firmware: "uefi",
    cpu: { count: 4, model: "Intel(R) Xeon(R) Gold 6148" },
    memoryBytes: 8_331_984_896,
    disks: [
      {
        name: "sda", path: "/dev/sda", sizeBytes: 53_687_091_200, partitionStyle: "gpt", isSystemDisk: true,
        fsType: null, uuid: null, label: null, mountPoint: null, usedBytes: null, freeBytes: null,
        partitions: [
          { name: "sda1", path: "/dev/sda1", number: 1, sizeBytes: 1_127_219_200, startBytes: 1_048_576, fsType: "vfat", uuid: "7A1B-2C3D", label: null, mountPoint: "/boot/efi", usedBytes: 6_336_512, freeBytes: 1_120_882_688 },
        ],
      },
    ],
    lvm: { volumeGroups: [], logicalVolumes: [] },
    mdRaid: [],
    btrfsSubvolumes: [],
    swap: [],
    network: [{ name: "eth0", mac: "52:54:00:ab:cd:ef", addresses: [{ address: "10.0.0.5", prefix: 24, family: "ipv4" }], gateway: "10.0.0.1", gateway6: null, mtu: 1500 }],
    bootLoader: { kind: "grub2", configPath: "/boot/grub/grub.cfg", otherSystems: [] },
    sharedMounts: [],
    tools: { rsync: true, tc: true },
    rootFreeBytes: 30_000_000_000,
    agentVersion: "0.1.0",
    collectedAt: "2025-11-06T10:00:00.000Z",
    notes: [],
  };
}

describe("sourceReportSchema", () => {
  it("accepts a complete report", () => {
    expect(sourceReportSchema.safeParse(validReport()).success).toBe(true);
  });

  it("accepts null for everything that may be unreadable", () => {
    const report = { ...validReport(), kernel: null, glibc: null, arch: null, firmware: null, memoryBytes: null, lvm: null, bootLoader: null, rootFreeBytes: null, cpu: { count: null, model: null } };
    expect(sourceReportSchema.safeParse(report).success).toBe(true);
  });

  it("refuses unknown fields, so a typo cannot slip through", () => {
    const result = parseSourceReport({ ...validReport(), hostnmae: "x" });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/hostnmae/);
  });

  it("refuses a missing field instead of treating it as null", () => {
    const { glibc: _glibc, ...withoutGlibc } = validReport();
    const result = parseSourceReport(withoutGlibc);
    expect(!result.ok && result.reason).toMatch(/glibc/);
  });

  it("refuses oversized arrays and strings with the path that is too big", () => {
    const base = validReport();
    const tooManyDisks = { ...base, disks: Array.from({ length: 257 }, () => base.disks[0]) };
    expect(!parseSourceReport(tooManyDisks).ok && (parseSourceReport(tooManyDisks) as { reason: string }).reason).toMatch(/disks/);
    const longHostname = parseSourceReport({ ...base, hostname: "h".repeat(256) });
    expect(!longHostname.ok && longHostname.reason).toMatch(/hostname/);
  });

  it("refuses negative or fractional byte counts and unknown enum values", () => {
    const base = validReport();
    expect(sourceReportSchema.safeParse({ ...base, memoryBytes: -1 }).success).toBe(false);
    expect(sourceReportSchema.safeParse({ ...base, rootFreeBytes: 1.5 }).success).toBe(false);
    expect(sourceReportSchema.safeParse({ ...base, firmware: "coreboot" }).success).toBe(false);
    expect(sourceReportSchema.safeParse({ ...base, os: { ...base.os, family: "macos" } }).success).toBe(false);
  });

  it("refuses a collectedAt that is not an ISO timestamp", () => {
    expect(sourceReportSchema.safeParse({ ...validReport(), collectedAt: "yesterday" }).success).toBe(false);
  });
});
