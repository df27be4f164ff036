import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { validateConfig } from "../config/config";
import { createLogger } from "../logging/logger";
import type { LayoutDisk } from "../protocol/v1/disk-layout";
import type { SourceReport } from "../protocol/v1/report";
import type { PreparationReport } from "../protocol/v1/tasks";
import { diffTrees, hasCommand, isRoot, snapshotTree } from "../transfer/files/testing/tree-snapshot";
import { makeTempDir } from "../transfer/testing/disk-images";
import { API } from "./agent-loop";
import { sleep } from "./backoff";
import { ConsoleClient } from "./console-client";
import { runSourceAgent } from "./source-agent";
import { runTargetAgent } from "./target-agent";
import { unmountTaskFolder } from "./target-preparation";
import { HttpConsole, TEST_AK, TEST_SK, type ConsoleCommand } from "./testing/http-console";

// The target agent preparing its own disks for a file-level task, as the console drives it: real
// loop devices partitioned, formatted and mounted, a real source agent sending into them.

const MiB = 1024 * 1024;

/** Partitioned loop devices need root, losetup -P and the mkfs tools. */
function loopDevicesWork(): string | null {
  if (!isRoot) return "needs root";
  for (const t of ["losetup", "sfdisk", "mkfs.ext4", "mkswap", "blkid", "wipefs"]) if (!hasCommand(t)) return `needs ${t}`;
  const dir = makeTempDir("loop-probe");
  try {
    const image = path.join(dir, "probe.img");
    fs.writeFileSync(image, "");
    fs.truncateSync(image, 8 * MiB);
    const dev = execFileSync("losetup", ["-f", "--show", "-P", image], { encoding: "utf8" }).trim();
    execFileSync("losetup", ["-d", dev]);
    return null;
  } catch (error) {
    return `loop devices unavailable: ${(error as Error).message.split("\n")[0]}`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const skipReason = loopDevicesWork();

/** The source's system disk as its agent reports it: /boot, a swap and / on GPT. */
const SOURCE_DISK: LayoutDisk = {
  name: "vda",
  path: "/dev/vda",
  sizeBytes: 256 * MiB,
  partitionStyle: "gpt",
  isSystemDisk: true,
  fsType: null,
  uuid: null,
  label: null,
  mountPoint: null,
  usedBytes: null,
  freeBytes: null,
  partitions: [
    { name: "vda1", path: "/dev/vda1", number: 1, sizeBytes: 48 * MiB, startBytes: MiB, fsType: "ext4", uuid: "3f1b2c3d-1111-4222-8333-444455556666", label: "boot", mountPoint: "/boot", usedBytes: null, freeBytes: null },
    { name: "vda2", path: "/dev/vda2", number: 2, sizeBytes: 16 * MiB, startBytes: 49 * MiB, fsType: "swap", uuid: "5b6c7d8e-2222-4333-8444-555566667777", label: null, mountPoint: null, usedBytes: null, freeBytes: null },
    { name: "vda3", path: "/dev/vda3", number: 3, sizeBytes: 128 * MiB, startBytes: 65 * MiB, fsType: "ext4", uuid: "9f8e7d6c-aaaa-4bbb-8ccc-ddddeeeeffff", label: "root", mountPoint: "/", usedBytes: null, freeBytes: null },
  ],
};
const [BOOT, , ROOT] = SOURCE_DISK.partitions as [LayoutDisk["partitions"][number], LayoutDisk["partitions"][number], LayoutDisk["partitions"][number]];
const FSTAB = `UUID=${ROOT.uuid} / ext4 defaults 0 1\nUUID=${BOOT.uuid} /boot ext4 defaults 0 2\n/dev/vda2 none swap sw 0 0\n`;

let work: string;
let fake: HttpConsole;
const loops: string[] = [];
const stateDirs: string[] = [];
const stops: (() => Promise<unknown>)[] = [];

async function until<T>(get: () => T | undefined | null | false, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const isFinished = (c: ConsoleCommand) => c.state === "succeeded" || c.state === "failed";
const blkid = (dev: string, tag: string) => spawnSync("blkid", ["-p", "-s", tag, "-o", "value", dev], { encoding: "utf8" }).stdout.trim();
const mountsNow = () => fs.readFileSync("/proc/self/mounts", "utf8");

/** Files this process holds open at or below dir. */
function openBelow(dir: string): string[] {
  const links = fs.readdirSync("/proc/self/fd").map((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return "";
    }
  });
  return links.filter((l) => l === dir || l.startsWith(`${dir}/`));
}

function loopDevice(sizeMiB: number): string {
  const image = path.join(work, `disk-${loops.length}.img`);
  fs.writeFileSync(image, "");
  fs.truncateSync(image, sizeMiB * MiB);
  const dev = execFileSync("losetup", ["-f", "--show", "-P", image], { encoding: "utf8" }).trim();
  loops.push(dev);
  return dev;
}

function startAgents(disks: string[]) {
  const client = () => new ConsoleClient(validateConfig({ consoleUrl: fake.url, accessKeyId: TEST_AK, secretAccessKey: TEST_SK }));
  const common = (stateDir: string) => ({
    console: client(),
    consoleUrl: fake.url,
    stateDir,
    logger: createLogger({ dir: path.join(stateDir, "logs"), mirrorLevel: null, secrets: [TEST_SK] }),
    pollWaitSeconds: 1,
    backoff: { baseMs: 5, maxMs: 20 },
  });
  const controller = new AbortController();
  const targetState = makeTempDir("prep-dst-state");
  const sourceState = makeTempDir("prep-src-state");
  stateDirs.push(targetState, sourceState);
  const runs = [
    runSourceAgent({ ...common(sourceState), discover: async () => ({ hostname: "src-01" }) as SourceReport, signal: controller.signal, progressIntervalMs: 100 }),
    runTargetAgent({ ...common(targetState), discover: async () => ({ hostname: "dst-01" }) as SourceReport, offer: { receiveHost: "127.0.0.1", disks }, signal: controller.signal }),
  ];
  stops.push(async () => {
    controller.abort();
    await Promise.allSettled(runs);
  });
  return { targetState };
}

async function agentIds() {
  const source = await until(() => fake.agentIdOf(API.register), "the source's registration");
  const target = await until(() => fake.agentIdOf(API.registerTarget), "the target's registration");
  return { source, target };
}

/** One pass as the console runs it: task_receive with the preparation plan, then task_send to the address. */
async function runPass(ids: { source: string; target: string }, o: { taskId: string; isSync: boolean; device: string; isSameUuids: boolean; sourceRoot: string }) {
  const passId = randomUUID();
  const prepare = { disks: [{ source: SOURCE_DISK, targetPath: o.device }], isSameUuids: o.isSameUuids };
  const receive = fake.queue(ids.target, "task_receive", { taskId: o.taskId, passId, mode: "file", isSync: o.isSync, disks: [], outDir: null, prepare });
  await until(() => isFinished(receive), "task_receive's result");
  expect(receive.state, receive.result?.message).toBe("succeeded");
  const send = fake.queue(ids.source, "task_send", {
    taskId: o.taskId,
    passId,
    mode: "file",
    isSync: o.isSync,
    targetCertPem: fake.certificateOf(passId, "target")!,
    targetAddress: receive.result!.details!.address as string,
    disks: [],
    sourceRoot: o.sourceRoot,
    options: { limitBytesPerSecond: null, compress: false, excludes: [] },
  });
  await until(() => isFinished(send), "task_send's result");
  expect(send.state, send.result?.message).toBe("succeeded");
  return { receive, preparation: receive.result!.details!.preparation as PreparationReport };
}

/** The target records the pass verified once it has sealed it; a launch waits for that. */
async function passSealed(targetState: string, taskId: string) {
  const record = path.join(targetState, "tasks", `${taskId}.json`);
  await until(() => fs.existsSync(record) && JSON.parse(fs.readFileSync(record, "utf8")).passes.at(-1)?.outcome === "verified", "the target's verified pass");
}

function writeSourceTree(dir: string) {
  fs.mkdirSync(path.join(dir, "etc"), { recursive: true });
  fs.mkdirSync(path.join(dir, "boot"), { recursive: true });
  fs.writeFileSync(path.join(dir, "etc/fstab"), FSTAB);
  fs.writeFileSync(path.join(dir, "etc/hostname"), "src-01\n");
  fs.writeFileSync(path.join(dir, "boot/vmlinuz-6.1.0"), randomBytes(2 * MiB));
  fs.writeFileSync(path.join(dir, "data.bin"), randomBytes(3 * MiB));
}

/** The target tree without the receiver's state and the lost+found folders mkfs made. */
function targetTree(root: string) {
  return new Map([...snapshotTree(root)].filter(([p]) => !/^(\.ferry|lost\+found|boot\/lost\+found)(\/|$)/.test(p)));
}

/** Reads a file from a filesystem that is not mounted, by mounting it read-only for a moment. */
function readFromDevice(device: string, file: string): string {
  const at = makeTempDir("peek");
  execFileSync("mount", ["-o", "ro", device, at]);
  try {
    return fs.readFileSync(path.join(at, file), "utf8");
  } finally {
    execFileSync("umount", [at]);
    fs.rmdirSync(at);
  }
}

describe.skipIf(skipReason !== null)(`file-level tasks onto the target's own disks${skipReason ? ` (skipped: ${skipReason})` : ""}`, () => {
  beforeAll(() => {
    work = makeTempDir("prepare-agent");
  });

  beforeEach(async () => {
    fake = new HttpConsole();
    await fake.start();
  });

  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    await fake.stop();
    expect(fake.refused).toEqual([]);
  });

  afterAll(async () => {
    // Whatever a failed test left mounted goes before its loop device and folder.
    for (const dir of stateDirs) {
      try {
        await unmountTaskFolder(dir);
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // reported by the test that failed; left for a look
      }
    }
    for (const dev of loops) spawnSync("losetup", ["-d", dev]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("partitions and formats the offered device like the source's disk, receives onto it, and a second pass neither partitions again nor loses data", async () => {
    const device = loopDevice(256);
    const small = loopDevice(64);
    const src = path.join(work, "src-same");
    writeSourceTree(src);
    const { targetState } = startAgents([device, small]);
    const ids = await agentIds();
    const taskId = randomUUID();

    const first = await runPass(ids, { taskId, isSync: false, device, isSameUuids: true, sourceRoot: src });
    expect(first.preparation.isReused).toBe(false);
    expect(first.receive.result!.message).toContain(`Prepared like the source's disks and mounted: ${device} (${device}p1 ext4 "boot" UUID ${BOOT.uuid} at /boot`);
    // The source's labels and UUIDs, on the target's partitions.
    expect([blkid(`${device}p1`, "UUID"), blkid(`${device}p1`, "LABEL"), blkid(`${device}p2`, "TYPE"), blkid(`${device}p3`, "UUID"), blkid(`${device}p3`, "LABEL")]).toEqual([
      BOOT.uuid,
      "boot",
      "swap",
      ROOT.uuid,
      "root",
    ]);
    // The files are on the prepared filesystems, nested as on the source.
    const staging = path.join(fs.realpathSync(targetState), "receive", taskId, "root");
    expect(mountsNow()).toContain(`${device}p3 ${staging} ext4`);
    expect(mountsNow()).toContain(`${device}p1 ${staging}/boot ext4`);
    expect(diffTrees(snapshotTree(src), targetTree(staging))).toEqual([]);

    // Something the receiver leaves alone: a new filesystem would not have it.
    fs.writeFileSync(path.join(staging, ".ferry", "kept-across-passes"), "pass 1\n");
    fs.writeFileSync(path.join(src, "etc/added-later"), "sync\n");
    await passSealed(targetState, taskId);
    const second = await runPass(ids, { taskId, isSync: true, device, isSameUuids: true, sourceRoot: src });
    expect(second.preparation.isReused).toBe(true);
    expect(second.receive.result!.message).toContain("Prepared by an earlier pass and mounted");
    expect(fs.readFileSync(path.join(staging, ".ferry", "kept-across-passes"), "utf8")).toBe("pass 1\n");
    expect(diffTrees(snapshotTree(src), targetTree(staging))).toEqual([]);

    // Another task may not take a disk in use, nor one too small; neither is touched.
    const busy = fake.queue(ids.target, "task_receive", { taskId: randomUUID(), passId: randomUUID(), mode: "file", isSync: false, disks: [], outDir: null, prepare: { disks: [{ source: SOURCE_DISK, targetPath: device }], isSameUuids: true } });
    const tooSmall = fake.queue(ids.target, "task_receive", { taskId: randomUUID(), passId: randomUUID(), mode: "file", isSync: false, disks: [], outDir: null, prepare: { disks: [{ source: SOURCE_DISK, targetPath: small }], isSameUuids: true } });
    for (const c of [busy, tooSmall]) await until(() => isFinished(c), "the refused task_receive");
    expect(busy).toMatchObject({ state: "failed", result: { message: expect.stringMatching(new RegExp(`${device}p\\d is mounted at`)) } });
    expect(tooSmall).toMatchObject({ state: "failed", result: { message: expect.stringMatching(/holds 67108864 bytes; the layout of source disk \/dev\/vda needs 203423744/) } });
    expect(spawnSync("sfdisk", ["--dump", small], { encoding: "utf8" }).status).not.toBe(0);

    // Launch: configured (the swap's device name is the target's now), then unmounted.
    await passSealed(targetState, taskId);
    await until(() => openBelow(staging).length > 0, "the writer the receiver keeps ready on the staging root");
    const launch = fake.queue(ids.target, "task_launch", { taskId, mode: "file", outDir: null, hostname: "web-new" });
    await until(() => isFinished(launch), "task_launch's result");
    expect(launch.state, launch.result?.message).toBe("succeeded");
    expect(mountsNow()).not.toContain(staging);
    expect(launch.result!.details!.changes).toContain(`unmounted 2 filesystems of ${device} from ${staging}`);
    expect(readFromDevice(`${device}p3`, "etc/hostname")).toBe("web-new\n");
    expect(readFromDevice(`${device}p3`, "etc/fstab")).toBe(FSTAB.replace("/dev/vda2", `${device}p2`));
    expect(launch.result!.message).toMatch(/no boot loader was installed/);

    // Delete: the staging goes, the migrated data stays on the disk.
    const cleanup = fake.queue(ids.target, "task_cleanup", { taskId });
    await until(() => isFinished(cleanup), "task_cleanup's result");
    expect(cleanup.state, cleanup.result?.message).toBe("succeeded");
    expect(fs.existsSync(path.dirname(staging))).toBe(false);
    expect(readFromDevice(`${device}p3`, "etc/added-later")).toBe("sync\n");
  });

  it("goes on sending heartbeats while it formats the disks (a slow mkfs), which run on a thread of their own", async () => {
    // A mkfs.ext4 that takes 2 s first, found before the real one: large disks take that long and more.
    const slowTools = path.join(work, "slow-tools");
    fs.mkdirSync(slowTools, { recursive: true });
    const realMkfs = execFileSync("sh", ["-c", "PATH=/usr/local/sbin:/usr/sbin:/sbin:$PATH command -v mkfs.ext4"], { encoding: "utf8" }).trim();
    fs.writeFileSync(path.join(slowTools, "mkfs.ext4"), `#!/bin/sh\nsleep 2\nexec ${realMkfs} "$@"\n`, { mode: 0o755 });
    const pathBefore = process.env.PATH;
    process.env.PATH = `${slowTools}:${pathBefore}`;
    try {
      const device = loopDevice(256);
      const src = path.join(work, "src-heartbeats");
      writeSourceTree(src);
      startAgents([device]);
      const ids = await agentIds();
      const started = Date.now();
      const { receive } = await runPass(ids, { taskId: randomUUID(), isSync: false, device, isSameUuids: true, sourceRoot: src });
      const preparing = fake.heartbeats.filter((h) => h.agentId === ids.target && h.at > started && h.at < receive.finishedAt!);
      // Two slow mkfs runs (boot and root) take 4 s or more; heartbeats come every second.
      expect(receive.finishedAt! - started).toBeGreaterThan(4000);
      expect(preparing.length).toBeGreaterThanOrEqual(2);
    } finally {
      process.env.PATH = pathBefore;
    }
  });

  it("with new UUIDs, the launch rewrites fstab to them; a later pass mounts the disks again and a delete unmounts them", async () => {
    const device = loopDevice(256);
    const src = path.join(work, "src-new");
    writeSourceTree(src);
    const { targetState } = startAgents([device]);
    const ids = await agentIds();
    const taskId = randomUUID();

    await runPass(ids, { taskId, isSync: false, device, isSameUuids: false, sourceRoot: src });
    const rootUuid = blkid(`${device}p3`, "UUID");
    const bootUuid = blkid(`${device}p1`, "UUID");
    expect(rootUuid).toMatch(/^[0-9a-f-]{36}$/);
    expect([rootUuid, bootUuid]).not.toContain(ROOT.uuid);
    expect(bootUuid).not.toBe(BOOT.uuid);

    await passSealed(targetState, taskId);
    const launch = fake.queue(ids.target, "task_launch", { taskId, mode: "file", outDir: null, hostname: null });
    await until(() => isFinished(launch), "task_launch's result");
    expect(launch.state, launch.result?.message).toBe("succeeded");
    expect(readFromDevice(`${device}p3`, "etc/fstab")).toBe(`UUID=${rootUuid} / ext4 defaults 0 1\nUUID=${bootUuid} /boot ext4 defaults 0 2\n${device}p2 none swap sw 0 0\n`);
    // The source keeps its own.
    expect(fs.readFileSync(path.join(src, "etc/fstab"), "utf8")).toBe(FSTAB);

    // After the launch unmounted them, a sync (say, after a failed launch hook) mounts them again.
    const taskDir = path.join(fs.realpathSync(targetState), "receive", taskId);
    expect(mountsNow()).not.toContain(taskDir);
    fs.writeFileSync(path.join(src, "etc/added-later"), "sync\n");
    const again = await runPass(ids, { taskId, isSync: true, device, isSameUuids: false, sourceRoot: src });
    expect(again.preparation.isReused).toBe(true);
    const staging = new RegExp(`^${device}p3 (${taskDir}/root) ext4`, "m").exec(mountsNow())?.[1];
    expect(staging, "the root filesystem mounted again").toBeDefined();
    expect(fs.readFileSync(path.join(staging!, "etc/added-later"), "utf8")).toBe("sync\n");
    expect(blkid(`${device}p3`, "UUID")).toBe(rootUuid);
    await passSealed(targetState, taskId);
    await until(() => openBelow(staging!).length > 0, "the writer the receiver keeps ready on the staging root");

    const cleanup = fake.queue(ids.target, "task_cleanup", { taskId });
    await until(() => isFinished(cleanup), "task_cleanup's result");
    expect(cleanup.state, cleanup.result?.message).toBe("succeeded");
    expect(cleanup.result!.message).toMatch(/^Unmounted /);
    expect(mountsNow()).not.toContain(taskDir);
    expect(blkid(`${device}p3`, "UUID")).toBe(rootUuid);
  });
});
