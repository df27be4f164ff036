import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type SourceReport, sourceReportSchema } from "@/agent/src/protocol/v1/report";
import { CHECK_IDS, type CheckStatus, checkFeasibility } from "./feasibility";

const FIXTURES = path.join(import.meta.dirname, "fixtures");

function fixture(name: string): SourceReport {
  return sourceReportSchema.parse(JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")));
}

/** Every check that did not pass, as { id: status }: a case lists exactly what must differ from a pass. */
function notPassing(report: SourceReport): Record<string, CheckStatus> {
  return Object.fromEntries(
    checkFeasibility(report)
      .checks.filter((check) => check.status !== "pass")
      .map((check) => [check.id, check.status]),
  );
}

function messageOf(report: SourceReport, id: string): string {
  return checkFeasibility(report).checks.find((check) => check.id === id)?.message ?? "";
}

describe("fixtures", () => {
  it.each(readdirSync(FIXTURES).filter((file) => file.endsWith(".json")))("%s is a valid source report", (file) => {
    const result = sourceReportSchema.safeParse(JSON.parse(readFileSync(path.join(FIXTURES, file), "utf8")));
    expect(result.error?.issues ?? []).toEqual([]);
  });
});

describe("checkFeasibility on real-world reports", () => {
  const cases: {
    fixture: string;
    verdict: CheckStatus;
    fileLevel: boolean;
    blockLevel: boolean;
    notPassing: Record<string, CheckStatus>;
  }[] = [
    { fixture: "centos-7", verdict: "pass", fileLevel: true, blockLevel: true, notPassing: {} },
    { fixture: "ubuntu-22.04", verdict: "pass", fileLevel: true, blockLevel: true, notPassing: {} },
    { fixture: "debian-12", verdict: "pass", fileLevel: true, blockLevel: true, notPassing: {} },
    { fixture: "windows-server-2008", verdict: "fail", fileLevel: false, blockLevel: false, notPassing: { "os.family": "fail" } },
    {
      fixture: "nfs-and-md-raid",
      verdict: "fail",
      fileLevel: false,
      blockLevel: false,
      notPassing: { "raid.md": "fail", "filesystems.shared": "warn" },
    },
    { fixture: "root-100mb-free", verdict: "fail", fileLevel: false, blockLevel: false, notPassing: { "disk.root-free": "fail" } },
    { fixture: "thin-lv", verdict: "fail", fileLevel: false, blockLevel: false, notPassing: { "lvm.thin": "fail" } },
    {
      fixture: "kernel-too-old",
      verdict: "warn",
      fileLevel: true,
      blockLevel: false,
      notPassing: { "block-level.kernel": "warn", "block-level.glibc": "warn" },
    },
  ];

  it.each(cases)("$fixture: $verdict, file level $fileLevel, block level $blockLevel", (c) => {
    const report = fixture(c.fixture);
    const result = checkFeasibility(report);
    expect(notPassing(report)).toEqual(c.notPassing);
    expect(result.verdict).toBe(c.verdict);
    expect(result.fileLevel.available).toBe(c.fileLevel);
    expect(result.blockLevel.available).toBe(c.blockLevel);
  });

  it("runs every check on a Linux report, each with a title, message and hint", () => {
    const { checks } = checkFeasibility(fixture("centos-7"));
    expect(checks.map((check) => check.id)).toEqual([...CHECK_IDS]);
    for (const check of checks) {
      expect(check.title && check.message && check.hint, check.id).toBeTruthy();
    }
  });

  it("refuses Windows with one check that says this agent is Linux only", () => {
    const result = checkFeasibility(fixture("windows-server-2008"));
    expect(result.checks).toHaveLength(1);
    expect(result.checks[0]?.message).toMatch(/Windows Server 2008.*Linux servers only/);
    expect(result.fileLevel.reason).toMatch(/Linux servers only/);
  });

  it("lists the RAID array and each shared mount by name", () => {
    const report = fixture("nfs-and-md-raid");
    expect(messageOf(report, "raid.md")).toMatch(/md127 \(raid1 on sdb2, sda2\)/);
    expect(messageOf(report, "filesystems.shared")).toMatch(/\/srv\/projects \(nfs4 from nas01:\/export\/projects\).*\/mnt\/scans/);
  });

  it("names the thin volume and its pool", () => {
    expect(messageOf(fixture("thin-lv"), "lvm.thin")).toMatch(/rhel\/pool00, rhel\/data/);
  });

  it("says how much is free on / and how much is needed", () => {
    expect(messageOf(fixture("root-100mb-free"), "disk.root-free")).toMatch(/Only 100 MiB is free.*needs 200 MiB/);
  });

  it("explains that block level needs kernel 3.10 while file level stays available", () => {
    const result = checkFeasibility(fixture("kernel-too-old"));
    expect(result.blockLevel.reason).toMatch(/2\.6\.32-754\.35\.1\.el6\.x86_64 is older than 3\.10/);
    expect(result.fileLevel).toEqual({ available: true });
  });

  it("notes a missing rsync without holding the migration back", () => {
    const check = checkFeasibility(fixture("debian-12")).checks.find((c) => c.id === "tools.rsync");
    expect(check).toMatchObject({ status: "pass", message: expect.stringMatching(/rsync is not installed/) });
  });
});

describe("checkFeasibility rule by rule", () => {
  const centos = () => structuredClone(fixture("centos-7"));
  const dataDisk = (name: string, isSystemDisk: boolean, partitions: SourceReport["disks"][number]["partitions"] = []) => ({
    name,
    path: `/dev/${name}`,
    sizeBytes: 107374182400,
    partitionStyle: "gpt" as const,
    isSystemDisk,
    fsType: null,
    uuid: null,
    label: null,
    mountPoint: null,
    usedBytes: null,
    freeBytes: null,
    partitions,
  });
  const ntfsPartition = {
    name: "sdb1", path: "/dev/sdb1", number: 1, sizeBytes: 107373133824, startBytes: 1048576,
    fsType: "ntfs", uuid: "01D9A1B2C3D4E5F6", label: "DATA", mountPoint: "/mnt/win", usedBytes: 1, freeBytes: 1,
  };

  const cases: { name: string; edit: (r: SourceReport) => void; notPassing: Record<string, CheckStatus>; message?: [string, RegExp] }[] = [
    {
      name: "system volume on the second disk fails",
      edit: (r) => {
        const system = r.disks[0];
        if (system) r.disks = [{ ...dataDisk("sda", false), fsType: "xfs" }, { ...system, name: "sdb", path: "/dev/sdb" }];
      },
      notPassing: { "disk.system-first": "fail" },
      message: ["disk.system-first", /on sdb, not on the first disk \(sda\)/],
    },
    {
      name: "an encrypted (LUKS) partition fails",
      edit: (r) => {
        r.disks.push(dataDisk("sdb", false, [{ ...ntfsPartition, fsType: "crypto_LUKS", mountPoint: null }]));
      },
      notPassing: { "disks.encrypted": "fail" },
      message: ["disks.encrypted", /encrypted volumes cannot be migrated: sdb1/],
    },
    {
      name: "an empty disk warns that it will not be migrated",
      edit: (r) => {
        r.disks.push(dataDisk("sdc", false));
      },
      notPassing: { "disks.unused": "warn" },
      message: ["disks.unused", /will not be migrated: sdc/],
    },
    {
      name: "a second operating system in the boot menu fails",
      edit: (r) => {
        if (r.bootLoader) r.bootLoader.otherSystems = ["Windows Server 2016 (on /dev/sdb1)"];
      },
      notPassing: { "os.multiple": "fail" },
      message: ["os.multiple", /Windows Server 2016 \(on \/dev\/sdb1\)/],
    },
    {
      name: "no boot loader found warns",
      edit: (r) => {
        r.bootLoader = null;
      },
      notPassing: { "os.multiple": "warn" },
    },
    {
      name: "an NTFS data partition fails the file system check",
      edit: (r) => {
        r.disks.push(dataDisk("sdb", false, [ntfsPartition]));
      },
      notPassing: { "filesystems.supported": "fail" },
      message: ["filesystems.supported", /sdb1 \(ntfs on \/mnt\/win\)/],
    },
    {
      name: "a ReiserFS logical volume fails too",
      edit: (r) => {
        const root = r.lvm?.logicalVolumes[0];
        if (root) root.fsType = "reiserfs";
      },
      notPassing: { "filesystems.supported": "fail" },
      message: ["filesystems.supported", /centos\/root \(reiserfs on \/\)/],
    },
    {
      name: "Btrfs on SLES 12 SP0 fails",
      edit: (r) => {
        r.os = { family: "linux", name: "SLES", version: "12", id: "sles", versionId: "12", prettyName: "SUSE Linux Enterprise Server 12" };
        const root = r.lvm?.logicalVolumes[0];
        if (root) root.fsType = "btrfs";
      },
      notPassing: { "filesystems.supported": "fail" },
      message: ["filesystems.supported", /SUSE Linux Enterprise Server 12 SP0/],
    },
    {
      name: "Btrfs on SLES 12 SP5 passes",
      edit: (r) => {
        r.os = { family: "linux", name: "SLES", version: "12-SP5", id: "sles", versionId: "12.5", prettyName: "SUSE Linux Enterprise Server 12 SP5" };
        const root = r.lvm?.logicalVolumes[0];
        if (root) root.fsType = "btrfs";
      },
      notPassing: {},
    },
    {
      name: "512 MiB of memory fails",
      edit: (r) => {
        r.memoryBytes = 512 * 1024 * 1024;
      },
      notPassing: { "resources.memory": "fail" },
    },
    {
      name: "a 1 GiB machine (MemTotal 991 MiB) passes",
      edit: (r) => {
        r.memoryBytes = 1014656 * 1024;
      },
      notPassing: {},
    },
    {
      name: "zero CPUs fails",
      edit: (r) => {
        r.cpu.count = 0;
      },
      notPassing: { "resources.cpu": "fail" },
    },
    {
      name: "unreadable CPU count and memory warn",
      edit: (r) => {
        r.cpu.count = null;
        r.memoryBytes = null;
      },
      notPassing: { "resources.cpu": "warn", "resources.memory": "warn" },
    },
    {
      name: "exactly 200 MiB free on / passes",
      edit: (r) => {
        r.rootFreeBytes = 200 * 1024 * 1024;
      },
      notPassing: {},
    },
    {
      name: "one byte under 200 MiB free on / fails",
      edit: (r) => {
        r.rootFreeBytes = 200 * 1024 * 1024 - 1;
      },
      notPassing: { "disk.root-free": "fail" },
    },
    {
      name: "unknown free space on / warns",
      edit: (r) => {
        r.rootFreeBytes = null;
      },
      notPassing: { "disk.root-free": "warn" },
    },
    {
      name: "CentOS 5 is too old",
      edit: (r) => {
        r.os = { family: "linux", name: "CentOS", version: "5.11", id: "centos", versionId: "5.11", prettyName: "CentOS release 5.11 (Final)" };
      },
      notPassing: { "os.supported": "fail" },
    },
    {
      name: "an unknown distribution warns",
      edit: (r) => {
        r.os = { family: "linux", name: "Gentoo", version: null, id: "gentoo", versionId: "2.15", prettyName: "Gentoo Linux" };
      },
      notPassing: { "os.supported": "warn" },
    },
    {
      name: "Ubuntu newer than 24.04 warns",
      edit: (r) => {
        r.os = { family: "linux", name: "Ubuntu", version: "24.10", id: "ubuntu", versionId: "24.10", prettyName: "Ubuntu 24.10" };
      },
      notPassing: { "os.supported": "warn" },
    },
    {
      name: "RHEL 9.4 passes (a max of 9 covers 9.x)",
      edit: (r) => {
        r.os = { family: "linux", name: "Red Hat Enterprise Linux", version: "9.4 (Plow)", id: "rhel", versionId: "9.4", prettyName: "RHEL 9.4" };
      },
      notPassing: {},
    },
    {
      name: "an unreadable OS warns",
      edit: (r) => {
        r.os = { family: "linux", name: null, version: null, id: null, versionId: null, prettyName: null };
      },
      notPassing: { "os.supported": "warn" },
    },
    {
      name: "LVM that could not be read warns",
      edit: (r) => {
        r.lvm = null;
      },
      notPassing: { "lvm.thin": "warn" },
    },
    {
      name: "a RAID member partition without an assembled array fails",
      edit: (r) => {
        r.disks.push(dataDisk("sdb", false, [{ ...ntfsPartition, fsType: "linux_raid_member", mountPoint: null, label: null }]));
      },
      notPassing: { "raid.md": "fail" },
    },
    {
      name: "kernel 3.10.0 is enough for block level",
      edit: (r) => {
        r.kernel = "3.10.0-123.el7.x86_64";
      },
      notPassing: {},
    },
    {
      name: "kernel 3.9 is not",
      edit: (r) => {
        r.kernel = "3.9.11-200.fc18.x86_64";
      },
      notPassing: { "block-level.kernel": "warn" },
    },
    {
      name: "unknown kernel and glibc versions hold back block level only",
      edit: (r) => {
        r.kernel = null;
        r.glibc = null;
      },
      notPassing: { "block-level.kernel": "warn", "block-level.glibc": "warn" },
    },
    {
      name: "an aarch64 server warns",
      edit: (r) => {
        r.arch = "aarch64";
      },
      notPassing: { arch: "warn" },
    },
    {
      name: "no disks warns",
      edit: (r) => {
        r.disks = [];
      },
      notPassing: { "disk.system-first": "warn" },
    },
    {
      name: "missing rsync and tc hold nothing back",
      edit: (r) => {
        r.tools = { rsync: false, tc: false };
      },
      notPassing: {},
    },
  ];

  it.each(cases)("$name", (c) => {
    const report = centos();
    c.edit(report);
    expect(sourceReportSchema.safeParse(report).success, "the edited report is still valid").toBe(true);
    expect(notPassing(report)).toEqual(c.notPassing);
    if (c.message) expect(messageOf(report, c.message[0])).toMatch(c.message[1]);
  });

  it("block level follows file level: a failure anywhere makes both unavailable", () => {
    const report = centos();
    report.mdRaid = [{ name: "md0", level: "raid1", state: "active", devices: ["sdb", "sdc"], sizeBytes: 1024 }];
    const result = checkFeasibility(report);
    expect(result.fileLevel.available).toBe(false);
    expect(result.blockLevel).toEqual(result.fileLevel);
  });

  it("takes stricter limits from options", () => {
    const result = checkFeasibility(centos(), { minRootFreeBytes: 64 * 1024 ** 3, minBlockLevelKernel: [4, 18] });
    const statuses = Object.fromEntries(result.checks.map((c) => [c.id, c.status]));
    expect(statuses["disk.root-free"]).toBe("fail");
    expect(statuses["block-level.kernel"]).toBe("warn");
  });
});
