import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isUserError } from "../errors";
import { sourceReportSchema } from "../protocol/v1/report";
import { discover } from "./discover";
import { type Host, type ToolResult, createSystemHost } from "./host";

// Discovery against a made-up machine: a directory standing in for /, and tools that answer
// from a table (or are missing), so the fallbacks run here even though this machine has lsblk.

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => fs.rm(root, { recursive: true, force: true })));
});

async function makeRoot(files: Record<string, string | Buffer>): Promise<string> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "ferry-discovery-"));
  roots.push(root);
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(root, file);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(target, content);
  }
  return root;
}

function fakeHost(root: string, tools: Record<string, string> = {}, platform: NodeJS.Platform = "linux"): Host {
  const real = createSystemHost({ root, platform });
  return {
    ...real,
    findTool: async (name) => (name in tools ? `/usr/bin/${name}` : null),
    runTool: async (name): Promise<ToolResult> =>
      name in tools ? { ok: true, stdout: tools[name] ?? "" } : { ok: false, reason: `${name} is not installed` },
    hostname: () => "web-01",
    kernelRelease: () => "3.10.0-1160.el7.x86_64",
    machine: () => "x86_64",
    networkInterfaces: () => ({
      eth0: [{ address: "10.0.0.5", netmask: "255.255.255.0", family: "IPv4", mac: "52:54:00:12:34:56", internal: false, cidr: "10.0.0.5/24" }],
    }),
  };
}

function mbrDisk(): Buffer {
  const head = Buffer.alloc(4104);
  head[510] = 0x55;
  head[511] = 0xaa;
  head[446 + 4] = 0x83;
  return head;
}

const CENTOS_7 = {
  "/etc/os-release": 'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n',
  "/proc/cpuinfo": "processor\t: 0\nmodel name\t: Intel Xeon\nprocessor\t: 1\nmodel name\t: Intel Xeon\n",
  "/proc/meminfo": "MemTotal:        3880192 kB\n",
  "/proc/self/mountinfo": [
    "22 1 8:2 / / rw,relatime - ext4 /dev/sda2 rw",
    "23 22 8:1 / /boot rw,relatime - ext4 /dev/sda1 rw",
    "24 22 0:50 / /data rw,relatime - nfs4 nas:/vol/data rw,vers=4.1",
  ].join("\n"),
  "/proc/mdstat": "Personalities : [raid1]\nmd0 : active raid1 sdc[1] sdd[0]\n      1046528 blocks super 1.2 [2/2] [UU]\n",
  "/proc/swaps": "Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1048572 0 -2\n",
  "/proc/net/route": "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\neth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
  "/sys/firmware/acpi/tables": "",
  "/sys/class/net/eth0/mtu": "1500\n",
  "/sys/class/net/eth0/address": "52:54:00:12:34:56\n",
  "/sys/block/sda/size": "41943040\n",
  "/sys/block/sda/dev": "8:0\n",
  "/sys/block/sda/sda1/partition": "1\n",
  "/sys/block/sda/sda1/start": "2048\n",
  "/sys/block/sda/sda1/size": "2097152\n",
  "/sys/block/sda/sda1/dev": "8:1\n",
  "/sys/block/sda/sda2/partition": "2\n",
  "/sys/block/sda/sda2/start": "2099200\n",
  "/sys/block/sda/sda2/size": "39843840\n",
  "/sys/block/sda/sda2/dev": "8:2\n",
  "/sys/block/sdb/size": "20971520\n",
  "/sys/block/sdb/dev": "8:16\n",
  "/sys/block/zram0/size": "0\n",
  "/sys/block/zram0/dev": "253:0\n",
  "/dev/sda": mbrDisk(),
  "/dev/sdb": Buffer.alloc(4104),
  "/boot/grub2/grub.cfg": "menuentry 'CentOS Linux 7' {\n}\n",
  "/data/.keep": "",
};

describe("discover on a machine without lsblk, blkid or getconf", () => {
  it("reads disks and partitions from /sys/block and the partition table from the disk", async () => {
    const report = await discover({ host: fakeHost(await makeRoot(CENTOS_7)) });
    expect(report.disks.map((d) => d.name)).toEqual(["sda", "sdb"]);
    const [sda, sdb] = report.disks;
    expect(sda).toMatchObject({ partitionStyle: "mbr", isSystemDisk: true, sizeBytes: 41943040 * 512 });
    expect(sda?.partitions.map((p) => [p.name, p.number, p.startBytes, p.fsType, p.mountPoint])).toEqual([
      ["sda1", 1, 2048 * 512, "ext4", "/boot"],
      ["sda2", 2, 2099200 * 512, "ext4", "/"],
    ]);
    expect(sda?.partitions[1]?.freeBytes).toBeTypeOf("number");
    expect(sdb).toMatchObject({ partitionStyle: "none", isSystemDisk: false, fsType: null, partitions: [] });
  });

  it("reports the rest of the machine and says what it could not read", async () => {
    const report = await discover({ host: fakeHost(await makeRoot(CENTOS_7)) });
    expect(report.os).toMatchObject({ id: "centos", versionId: "7" });
    expect(report).toMatchObject({
      glibc: null,
      firmware: "bios",
      cpu: { count: 2, model: "Intel Xeon" },
      memoryBytes: 3880192 * 1024,
      lvm: { volumeGroups: [], logicalVolumes: [] },
      bootLoader: { kind: "grub2", configPath: "/boot/grub2/grub.cfg", otherSystems: [] },
      tools: { rsync: false, tc: false },
    });
    expect(report.sharedMounts).toEqual([{ type: "nfs", fsType: "nfs4", source: "nas:/vol/data", mountPoint: "/data" }]);
    expect(report.mdRaid.map((a) => a.name)).toEqual(["md0"]);
    expect(report.swap).toEqual([{ path: "/swapfile", type: "file", sizeBytes: 1048572 * 1024, usedBytes: 0, priority: -2 }]);
    expect(report.network).toEqual([
      { name: "eth0", mac: "52:54:00:12:34:56", addresses: [{ address: "10.0.0.5", prefix: 24, family: "ipv4" }], gateway: "10.0.0.1", gateway6: null, mtu: 1500 },
    ]);
    expect(report.notes.join("\n")).toMatch(/lsblk is not installed/);
    expect(report.notes.join("\n")).toMatch(/glibc/);
    expect(sourceReportSchema.safeParse(report).success).toBe(true);
  });

  it("reports LVM as unreadable (null), not empty, when a PV exists but lvs is missing", async () => {
    const tools = { blkid: "DEVNAME=/dev/sda2\nUUID=pv-uuid\nTYPE=LVM2_member\n" };
    const report = await discover({ host: fakeHost(await makeRoot(CENTOS_7), tools) });
    expect(report.disks[0]?.partitions[1]?.fsType).toBe("LVM2_member");
    expect(report.lvm).toBeNull();
    expect(report.notes.join("\n")).toMatch(/lvm2 tools \(lvs\) are not installed/);
  });

  it("reads LVs, flags thin ones and finds their file systems through lsblk", async () => {
    const lsblk = JSON.stringify({
      blockdevices: [
        { name: "sda", kname: "sda", path: "/dev/sda", "maj:min": "8:0", type: "disk", size: 21474836480, pttype: "gpt",
          children: [
            { name: "sda1", kname: "sda1", path: "/dev/sda1", "maj:min": "8:1", type: "part", size: 21473787904, fstype: "LVM2_member",
              children: [
                { name: "vg0-root", kname: "dm-0", path: "/dev/mapper/vg0-root", "maj:min": "253:0", type: "lvm", size: 10737418240, fstype: "xfs" },
                { name: "vg0-data", kname: "dm-3", path: "/dev/mapper/vg0-data", "maj:min": "253:3", type: "lvm", size: 5368709120, fstype: "ext4" },
              ] },
          ] },
      ],
    });
    const lvs = JSON.stringify({ report: [{ lv: [
      { vg_name: "vg0", lv_name: "root", lv_path: "/dev/vg0/root", lv_size: "10737418240", lv_attr: "-wi-ao----", segtype: "linear", lv_kernel_major: "253", lv_kernel_minor: "0" },
      { vg_name: "vg0", lv_name: "data", lv_path: "/dev/vg0/data", lv_size: "5368709120", lv_attr: "Vwi-aotz--", segtype: "thin", lv_kernel_major: "253", lv_kernel_minor: "3" },
    ] }] });
    const vgs = JSON.stringify({ report: [{ vg: [{ vg_name: "vg0", vg_size: "21470642176", vg_free: "0" }] }] });
    const pvs = JSON.stringify({ report: [{ pv: [{ pv_name: "/dev/sda1", vg_name: "vg0" }] }] });
    const files = { ...CENTOS_7, "/proc/self/mountinfo": "22 1 253:0 / / rw - xfs /dev/mapper/vg0-root rw\n" };
    const report = await discover({ host: fakeHost(await makeRoot(files), { lsblk, lvs, vgs, pvs }) });
    expect(report.disks.map((d) => [d.name, d.isSystemDisk])).toEqual([["sda", true]]);
    expect(report.lvm?.volumeGroups).toEqual([{ name: "vg0", sizeBytes: 21470642176, freeBytes: 0, physicalVolumes: ["/dev/sda1"] }]);
    expect(report.lvm?.logicalVolumes.map((lv) => [lv.name, lv.isThin, lv.fsType, lv.mountPoint])).toEqual([
      ["root", false, "xfs", "/"],
      ["data", true, "ext4", null],
    ]);
  });
});

describe("discover on an empty machine", () => {
  it("still produces a valid report: unknown things are null and explained", async () => {
    const report = await discover({ host: fakeHost(await makeRoot({})) });
    expect(sourceReportSchema.safeParse(report).success).toBe(true);
    expect(report).toMatchObject({ disks: [], firmware: null, memoryBytes: null, bootLoader: null, os: { family: "linux", id: null } });
    expect(report.notes.length).toBeGreaterThanOrEqual(5);
  });
});

describe("discover on Windows", () => {
  it("refuses with a user error naming Windows", async () => {
    const error = await discover({ host: fakeHost(await makeRoot({}), {}, "win32") }).catch((e: unknown) => e);
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Windows sources are not supported by this agent/);
  });
});

describe("running tools", () => {
  it("gives up on a tool that hangs, with a reason instead of a crash", async () => {
    const host = createSystemHost({ timeoutMs: 200 });
    const result = await host.runTool("sleep", ["5"]);
    expect(result).toEqual({ ok: false, reason: "sleep did not finish within 0.2s" });
  });

  it("says a missing tool is not installed", async () => {
    const host = createSystemHost({ pathEnv: "" });
    expect(await host.runTool("ferry-no-such-tool", [])).toEqual({ ok: false, reason: "ferry-no-such-tool is not installed" });
  });
});
