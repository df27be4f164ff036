import { X509Certificate, randomBytes, randomUUID } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { validateConfig } from "../config/config";
import { createLogger } from "../logging/logger";
import { taskCertificateName } from "../protocol/v1/certificates";
import type { SourceReport } from "../protocol/v1/report";
import type { TaskSendResult, TransferOptions } from "../protocol/v1/tasks";
import { diffTrees, snapshotTree } from "../transfer/files/testing/tree-snapshot";
import { debugfsCat, e2fsckClean, hasTool, makeExtImage, makeTempDir, partitionDisk, placeImage, sha256File, writeTree } from "../transfer/testing/disk-images";
import { sleep } from "./backoff";
import { CommandJournal } from "./command-journal";
import { ConsoleClient } from "./console-client";
import { RESTARTED_DURING_COPY } from "./source-tasks";
import { runSourceAgent } from "./source-agent";
import { runTargetAgent } from "./target-agent";
import { API } from "./agent-loop";
import { HttpConsole, TEST_AK, TEST_SK, type ConsoleCommand } from "./testing/http-console";

const canRun = hasTool("mkfs.ext4");

/** Whether an ext4 image can be mounted here through a loop device (root, loop devices). */
function canMountLoop(): boolean {
  if (process.getuid?.() !== 0 || !canRun || !hasTool("losetup")) return false;
  const dir = makeTempDir("loop-probe");
  try {
    fs.mkdirSync(path.join(dir, "m"));
    makeExtImage(path.join(dir, "fs.img"), 4, path.join(dir, "m"));
    execFileSync("mount", ["-o", "loop", path.join(dir, "fs.img"), path.join(dir, "m")], { stdio: "ignore" });
    execFileSync("umount", [path.join(dir, "m")], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function taskRecordPass(file: string): string {
  return JSON.parse(fs.readFileSync(file, "utf8")).passes.at(-1).passId;
}
const MiB = 1024 * 1024;

let work: string;
let sourceImage: string;
let fake: HttpConsole;
const stops: (() => Promise<unknown>)[] = [];

async function until<T>(get: () => T | undefined | null | false, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = get();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const isFinished = (c: ConsoleCommand) => c.state === "succeeded" || c.state === "failed";

function client() {
  return new ConsoleClient(validateConfig({ consoleUrl: fake.url, accessKeyId: TEST_AK, secretAccessKey: TEST_SK }));
}

function logger(stateDir: string) {
  return createLogger({ dir: path.join(stateDir, "logs"), mirrorLevel: null, secrets: [TEST_SK] });
}

function startSource(stateDir = makeTempDir("task-src-state")) {
  const controller = new AbortController();
  const running = runSourceAgent({
    console: client(),
    consoleUrl: fake.url,
    stateDir,
    logger: logger(stateDir),
    discover: async () => ({ hostname: "src-01" }) as SourceReport,
    signal: controller.signal,
    pollWaitSeconds: 1,
    backoff: { baseMs: 5, maxMs: 20 },
    progressIntervalMs: 100,
  });
  const stop = async () => {
    controller.abort();
    await running.catch(() => undefined);
  };
  stops.push(stop);
  return { stateDir, running, stop };
}

function startTarget(offer: Parameters<typeof runTargetAgent>[0]["offer"], stateDir = makeTempDir("task-dst-state")) {
  const controller = new AbortController();
  const running = runTargetAgent({
    console: client(),
    consoleUrl: fake.url,
    stateDir,
    logger: logger(stateDir),
    discover: async () => ({ hostname: "dst-01" }) as SourceReport,
    offer: { receiveHost: "127.0.0.1", ...offer },
    signal: controller.signal,
    pollWaitSeconds: 1,
    backoff: { baseMs: 5, maxMs: 20 },
  });
  const stop = async () => {
    controller.abort();
    await running.catch(() => undefined);
  };
  stops.push(stop);
  return { stateDir, running, stop };
}

async function agentIds() {
  const source = await until(() => fake.agentIdOf(API.register), "the source's registration");
  const target = await until(() => fake.agentIdOf(API.registerTarget), "the target's registration");
  return { source, target };
}

const options = (more: Partial<TransferOptions> = {}): TransferOptions => ({ limitBytesPerSecond: null, compress: false, excludes: [], ...more });

/**
 * task_receive on the target, then task_send to the address it answered, with the certificate the
 * console issued to the target for the pass (as the console hands it over).
 */
async function runPass(
  ids: { source: string; target: string },
  pass: { mode: "block" | "file"; disks?: { sourcePath: string; name: string; targetPath: string }[]; outDir?: string; sourceRoot?: string; options?: TransferOptions },
  /** What task_send hands the source to pin, instead of the target's certificate. */
  pinned?: (pass: { taskId: string; passId: string }) => Promise<string>,
) {
  const taskId = randomUUID();
  const passId = randomUUID();
  const receive = fake.queue(ids.target, "task_receive", { taskId, passId, mode: pass.mode, isSync: false, disks: pass.disks ?? [], outDir: pass.outDir ?? null });
  await until(() => isFinished(receive), "task_receive's result");
  expect(receive.result?.message, receive.result?.message).toMatch(/^Receiving on /);
  expect(receive.state).toBe("succeeded");
  const address = receive.result!.details!.address as string;
  const targetCertPem = fake.certificateOf(passId, "target");
  expect(targetCertPem, "the target's certificate for the pass").toBeDefined();
  const send = fake.queue(ids.source, "task_send", {
    taskId,
    passId,
    mode: pass.mode,
    isSync: false,
    targetCertPem: pinned ? await pinned({ taskId, passId }) : targetCertPem,
    targetAddress: address,
    disks: pass.disks ?? [],
    sourceRoot: pass.sourceRoot ?? null,
    options: pass.options ?? options(),
  });
  return { taskId, passId, receive, send };
}

beforeAll(async () => {
  work = makeTempDir("tasks");
  const tree = path.join(work, "tree");
  writeTree(tree, 24, 700_000, 7);
  sourceImage = path.join(work, "source.img");
  if (canRun) makeExtImage(sourceImage, 32, tree, ["-b", "4096"]);
});

beforeEach(async () => {
  fake = new HttpConsole();
  await fake.start();
});

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
  await fake.stop();
  expect(fake.unsigned).toEqual([]);
  expect(fake.refused).toEqual([]);
  // The agents' pass keys stay on their machines: no request to the console ever carries one.
  expect(fake.privateKeysSeen).toEqual([]);
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

const taskIdOf = (command: { payload: Record<string, unknown> }) => String(command.payload.taskId);

describe.skipIf(!canRun)("migration tasks through the agents (needs e2fsprogs)", () => {
  it("copies an ext4 image disk to an offered target image, verified, with progress rising to the total and a live speed limit", async () => {
    const disksDir = makeTempDir("task-disks");
    const targetImage = path.join(disksDir, "vdb.img");
    execFileSync("truncate", ["-s", "32M", targetImage]);
    const target = startTarget({ disksDir });
    startSource();
    const ids = await agentIds();
    const registration = fake.registrations.find((r) => r.path === API.registerTarget)!.body.target;
    expect(registration).toEqual({ receiveHost: "127.0.0.1", disks: [{ path: fs.realpathSync(targetImage), sizeBytes: 32 * MiB, kind: "file" }], fileRoot: null });

    // The task starts at 100 KB/s (minutes for this image); the console lifts it on the first post.
    fake.answerProgress = () => ({ shouldContinue: true, limitBytesPerSecond: 64 * MiB });
    const { send, passId } = await runPass(ids, {
      mode: "block",
      disks: [{ sourcePath: sourceImage, name: "vda", targetPath: targetImage }],
      options: options({ limitBytesPerSecond: 100_000 }),
    });
    await until(() => isFinished(send), "task_send's result", 25_000);
    expect(send.result?.message).toMatch(/^Copied and verified/);
    expect(send.state).toBe("succeeded");
    const result = send.result!.details as TaskSendResult;
    expect(result.verifiedCount).toBe(result.totalCount);
    expect(result.totalCount).toBeGreaterThan(0);
    expect(sha256File(targetImage)).toBe(sha256File(sourceImage));

    const posts = fake.progress.filter((p) => p.passId === passId);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < posts.length; i++) expect(posts[i]!.bytesDone).toBeGreaterThanOrEqual(posts[i - 1]!.bytesDone);
    const last = posts.at(-1)!;
    expect(last).toMatchObject({ phase: "verify", bytesDone: result.bytesTotal, bytesTotal: result.bytesTotal, agentId: ids.source });
    expect(last.disks).toEqual([{ name: "vda", bytesDone: result.bytesTotal, bytesTotal: result.bytesTotal }]);
    // The total is known from the first post (the layout is measured before sending).
    expect(posts[0]!.bytesTotal).toBe(result.bytesTotal);
    expect(last.host.memoryTotalBytes).toBeGreaterThan(0);
    expect(last.agent.rssBytes).toBeGreaterThan(0);

    // Deleting the task in the console drops the target's staging for it, never the written disk.
    const staging = path.join(target.stateDir, "receive", taskIdOf(send));
    expect(fs.existsSync(staging)).toBe(true);
    const cleanup = fake.queue(ids.target, "task_cleanup", { taskId: taskIdOf(send) });
    await until(() => isFinished(cleanup), "task_cleanup's result");
    expect(cleanup.state).toBe("succeeded");
    expect(fs.existsSync(staging)).toBe(false);
    expect(sha256File(targetImage)).toBe(sha256File(sourceImage));
  });

  it.skipIf(!canMountLoop())("launches a block-level copy: finds the migrated root among the partitions, sets the hostname and address and drops MAC pins there (needs root and loop mounts)", async () => {
    const tree = path.join(work, "block-root-tree");
    fs.mkdirSync(path.join(tree, "etc/network"), { recursive: true });
    fs.writeFileSync(path.join(tree, "etc/fstab"), "UUID=1111-2222 / ext4 defaults 0 1\n");
    fs.writeFileSync(path.join(tree, "etc/hostname"), "src-01\n");
    fs.writeFileSync(path.join(tree, "etc/network/interfaces"), "auto eth0\niface eth0 inet dhcp\n    hwaddress ether 52:54:00:12:34:56\n");
    const bootTree = path.join(work, "block-boot-tree");
    fs.mkdirSync(bootTree, { recursive: true });
    fs.writeFileSync(path.join(bootTree, "vmlinuz"), randomBytes(64 * 1024));
    // A GPT disk: a boot partition without /etc, then the root.
    const disk = path.join(work, "rooted-disk.img");
    partitionDisk(disk, 48, "label: gpt\nstart=2048, size=16384\nstart=18432, size=69632\n");
    makeExtImage(path.join(work, "boot.img"), 8, bootTree);
    makeExtImage(path.join(work, "root.img"), 34, tree);
    placeImage(disk, 2048 * 512, path.join(work, "boot.img"));
    placeImage(disk, 18432 * 512, path.join(work, "root.img"));
    const disksDir = makeTempDir("task-disks");
    const targetImage = path.join(disksDir, "vdb.img");
    execFileSync("truncate", ["-s", "48M", targetImage]);
    const target = startTarget({ disksDir });
    startSource();
    const ids = await agentIds();
    const { send, taskId } = await runPass(ids, { mode: "block", disks: [{ sourcePath: disk, name: "vda", targetPath: targetImage }] });
    await until(() => isFinished(send), "task_send's result");
    expect(send.state, send.result?.message).toBe("succeeded");
    const taskRecord = path.join(target.stateDir, "tasks", `${taskId}.json`);
    await until(() => fs.existsSync(taskRecord) && JSON.parse(fs.readFileSync(taskRecord, "utf8")).passes.at(-1)?.outcome === "verified", "the target's verified pass");

    const launch = fake.queue(ids.target, "task_launch", { taskId, mode: "block", outDir: null, hostname: "web-01-migrated", network: { address: "10.1.2.3/24", gateway: "10.1.2.1", dns: [] } });
    await until(() => isFinished(launch), "task_launch's result");
    expect(launch.state, launch.result?.message).toBe("succeeded");
    expect(launch.result!.details!.changes).toEqual([
      "ext4 on vdb.img partition 2: /etc/hostname: set to web-01-migrated",
      "ext4 on vdb.img partition 2: /etc/network/interfaces:3: ifupdown hwaddress: 52:54:00:12:34:56 pinned an interface of the source; removed",
      "ext4 on vdb.img partition 2: /etc/network/interfaces: static 10.1.2.3/24 via 10.1.2.1 on eth0",
      `${fs.realpathSync(targetImage)} (vda) holds the verified copy of pass ${taskRecordPass(taskRecord)} and was flushed to stable storage`,
    ]);
    // Read back from the target disk's root partition, which is still a clean filesystem; the
    // boot partition and the source are untouched.
    const rootCopy = path.join(work, "root-after-launch.img");
    execFileSync("dd", [`if=${targetImage}`, `of=${rootCopy}`, "bs=512", "skip=18432", "count=69632", "status=none"]);
    expect(debugfsCat(rootCopy, "etc/hostname").toString()).toBe("web-01-migrated\n");
    const interfaces = debugfsCat(rootCopy, "etc/network/interfaces").toString();
    expect(interfaces).not.toContain("52:54:00");
    expect(interfaces).toContain("address 10.1.2.3");
    expect(e2fsckClean(rootCopy).isClean).toBe(true);
    expect(sha256File(targetImage, 0, 18432 * 512)).toBe(sha256File(disk, 0, 18432 * 512));
    expect(debugfsCat(path.join(work, "root.img"), "etc/hostname").toString()).toBe("src-01\n");
    // Nothing stays mounted or attached.
    expect(fs.readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(target.stateDir);
    expect(execFileSync("losetup", ["-j", targetImage], { encoding: "utf8" })).toBe("");
  });

  it("copies a folder tree into a folder below the file root, verified, and launch reports what it changed", async () => {
    const src = path.join(work, "files-src");
    fs.mkdirSync(path.join(src, "etc/network"), { recursive: true });
    fs.mkdirSync(path.join(src, "var/empty"), { recursive: true });
    fs.writeFileSync(path.join(src, "etc/hostname"), "src-01\n");
    fs.writeFileSync(path.join(src, "etc/network/interfaces"), "auto eth0\niface eth0 inet dhcp\n    hwaddress ether 52:54:00:12:34:56\n");
    fs.writeFileSync(path.join(src, "big.bin"), randomBytes(3 * MiB));
    fs.symlinkSync("etc/hostname", path.join(src, "link"));
    fs.chmodSync(path.join(src, "etc/network/interfaces"), 0o640);
    const fileRoot = makeTempDir("task-root");
    const target = startTarget({ fileRoot });
    startSource();
    const ids = await agentIds();
    const { send, taskId, passId } = await runPass(ids, { mode: "file", outDir: "web-01", sourceRoot: src });
    await until(() => isFinished(send), "task_send's result");
    expect(send.result?.message).toMatch(/^Copied and verified/);
    // Each agent asked for its own role's certificate for this pass, with a key of its own.
    const issued = fake.certificates.filter((c) => c.passId === passId);
    expect(issued.map((c) => [c.role, c.agentId, c.taskId])).toEqual([
      ["target", ids.target, taskId],
      ["source", ids.source, taskId],
    ]);
    expect(new X509Certificate(issued[1]!.certPem).subjectAltName).toBe(`URI:${taskCertificateName(taskId, passId, "source")}`);
    expect(new X509Certificate(issued[0]!.certPem).publicKey.equals(new X509Certificate(issued[1]!.certPem).publicKey)).toBe(false);
    const result = send.result!.details as TaskSendResult;
    expect(result.verifiedCount).toBe(result.totalCount);
    const out = path.join(fs.realpathSync(fileRoot), "web-01");
    const sourceTree = snapshotTree(src);
    const targetTree = new Map([...snapshotTree(out)].filter(([p]) => p !== ".ferry" && !p.startsWith(".ferry/")));
    expect(diffTrees(sourceTree, targetTree)).toEqual([]);

    const taskRecord = path.join(target.stateDir, "tasks", `${taskId}.json`);
    await until(() => fs.existsSync(taskRecord) && JSON.parse(fs.readFileSync(taskRecord, "utf8")).passes.at(-1)?.outcome === "verified", "the target's verified pass");
    const launch = fake.queue(ids.target, "task_launch", {
      taskId,
      mode: "file",
      outDir: "web-01",
      hostname: "web-01-migrated",
      network: { address: "10.1.2.3/24", gateway: "10.1.2.1", dns: [] },
    });
    await until(() => isFinished(launch), "task_launch's result");
    expect(launch.state, launch.result?.message).toBe("succeeded");
    expect(fs.readFileSync(path.join(out, "etc/hostname"), "utf8")).toBe("web-01-migrated\n");
    expect(launch.result!.details!.changes).toEqual([
      "/etc/hostname: set to web-01-migrated",
      "/etc/network/interfaces:3: ifupdown hwaddress: 52:54:00:12:34:56 pinned an interface of the source; removed",
      "/etc/network/interfaces: static 10.1.2.3/24 via 10.1.2.1 on eth0",
    ]);
    expect(fs.readFileSync(path.join(out, "etc/network/interfaces"), "utf8")).toContain("address 10.1.2.3\n    netmask 255.255.255.0\n    gateway 10.1.2.1");
    expect(fs.readFileSync(path.join(out, "etc/network/interfaces"), "utf8")).not.toContain("52:54:00");
    expect(fs.readFileSync(path.join(src, "etc/network/interfaces"), "utf8")).toContain("52:54:00");
    expect(launch.result!.message).toMatch(/Not done: no machine was started/);
  });

  it("the source sends nothing to a receiver whose certificate is not the one the console pinned", async () => {
    const src = path.join(work, "pin-src");
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, "a.txt"), "a\n");
    const fileRoot = makeTempDir("pin-root");
    startTarget({ fileRoot });
    startSource();
    const ids = await agentIds();
    // Signed by the same CA, for the same task, pass and role, yet not the certificate the target holds.
    const impostor = async (pass: { taskId: string; passId: string }) => (await fake.ca.issue({ ...pass, role: "target" })).certPem;
    const { send } = await runPass(ids, { mode: "file", outDir: "pinned", sourceRoot: src }, impostor);
    await until(() => isFinished(send), "task_send's result");
    expect(send.state).toBe("failed");
    expect(send.result!.message).toMatch(/does not match the pinned one/);
    expect(fs.readdirSync(path.join(fs.realpathSync(fileRoot), "pinned")).filter((n) => n !== ".ferry")).toEqual([]);
  });

  it("runs the launch hook (--launch-command) with the task's details after configuring the target", async () => {
    const src = path.join(work, "hook-src");
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, "a.txt"), "a\n");
    const fileRoot = makeTempDir("hook-root");
    const marker = path.join(work, "hook-marker.txt");
    const target = startTarget({ fileRoot, launchCommand: `echo "$FERRY_MIGRATION_MODE $FERRY_TARGET_ROOT $FERRY_HOSTNAME" > ${marker}; echo booted` });
    startSource();
    const ids = await agentIds();
    const { send, taskId } = await runPass(ids, { mode: "file", outDir: "hooked", sourceRoot: src });
    await until(() => isFinished(send), "task_send's result");
    expect(send.state, send.result?.message).toBe("succeeded");
    // The target records the pass as verified once it has sealed it; the hook is what is tested here.
    const taskRecord = path.join(target.stateDir, "tasks", `${taskId}.json`);
    await until(() => fs.existsSync(taskRecord) && JSON.parse(fs.readFileSync(taskRecord, "utf8")).passes.at(-1)?.outcome === "verified", "the target's verified pass");
    const launch = fake.queue(ids.target, "task_launch", { taskId, mode: "file", outDir: "hooked", hostname: "web-02" });
    await until(() => isFinished(launch), "task_launch's result");
    expect(launch.state, launch.result?.message).toBe("succeeded");
    expect(fs.readFileSync(marker, "utf8")).toBe(`file ${path.join(fs.realpathSync(fileRoot), "hooked")} web-02\n`);
    expect(launch.result!.details!.changes).toContain("launch command ran: booted");
    expect(launch.result!.message).not.toMatch(/no machine was started/);
  });

  it("stops the copy when the console's progress answer says shouldContinue=false, and reports it failed", async () => {
    const disksDir = makeTempDir("task-disks");
    const targetImage = path.join(disksDir, "vdb.img");
    execFileSync("truncate", ["-s", "32M", targetImage]);
    startTarget({ disksDir });
    startSource();
    const ids = await agentIds();
    let answered = 0;
    // Go on for the first answer, then stop; the limit keeps the copy running long enough.
    fake.answerProgress = () => ({ shouldContinue: answered++ < 1, limitBytesPerSecond: 512 * 1024 });
    const { send, passId, taskId } = await runPass(ids, {
      mode: "block",
      disks: [{ sourcePath: sourceImage, name: "vda", targetPath: targetImage }],
      options: options({ limitBytesPerSecond: 512 * 1024 }),
    });
    await until(() => isFinished(send), "task_send's result");
    expect(send.state).toBe("failed");
    expect(send.result!.message).toMatch(/stopped: the console asked to stop/);
    const posts = fake.progress.filter((p) => p.passId === passId);
    expect(posts.at(-1)!.bytesDone).toBeLessThan(posts.at(-1)!.bytesTotal);
    // Nothing claims the pass was verified on the target either: launching is refused.
    const launch = fake.queue(ids.target, "task_launch", { taskId, mode: "block", outDir: null, hostname: null });
    await until(() => isFinished(launch), "task_launch's result");
    expect(launch.state).toBe("failed");
    expect(launch.result!.message).toMatch(/did not end verified/);
  });

  it("refuses a target path that is not an offered disk, and a file folder outside the file root", async () => {
    const disksDir = makeTempDir("task-disks");
    execFileSync("truncate", ["-s", "8M", path.join(disksDir, "vdb.img")]);
    const elsewhere = path.join(work, "not-offered.img");
    execFileSync("truncate", ["-s", "8M", elsewhere]);
    const fileRoot = makeTempDir("task-root");
    startTarget({ disksDir, fileRoot });
    const { target } = { target: await until(() => fake.agentIdOf(API.registerTarget), "the target's registration") };
    const base = { taskId: randomUUID(), passId: randomUUID(), isSync: false };
    const block = fake.queue(target, "task_receive", { ...base, mode: "block", disks: [{ sourcePath: "/dev/sda", name: "sda", targetPath: elsewhere }], outDir: null });
    const sneaky = fake.queue(target, "task_receive", {
      ...base,
      passId: randomUUID(),
      mode: "block",
      disks: [{ sourcePath: "/dev/sda", name: "sda", targetPath: path.join(disksDir, "..", path.basename(work), "not-offered.img") }],
      outDir: null,
    });
    const escape = fake.queue(target, "task_receive", { ...base, passId: randomUUID(), mode: "file", disks: [], outDir: "../escape" });
    const root = fake.queue(target, "task_receive", { ...base, passId: randomUUID(), mode: "file", disks: [], outDir: fileRoot });
    for (const c of [block, sneaky, escape, root]) await until(() => isFinished(c), `${c.type}'s result`);
    expect(block).toMatchObject({ state: "failed", result: { message: expect.stringMatching(/not one of the disks this target offers/) } });
    expect(sneaky).toMatchObject({ state: "failed", result: { message: expect.stringMatching(/not one of the disks this target offers/) } });
    expect(escape).toMatchObject({ state: "failed", result: { message: expect.stringMatching(/not a folder below this target's file root/) } });
    expect(root).toMatchObject({ state: "failed", result: { message: expect.stringMatching(/not a folder below/) } });
    expect(fs.existsSync(path.join(path.dirname(fileRoot), "escape"))).toBe(false);
    expect(sha256File(elsewhere)).toBe(sha256File(path.join(disksDir, "vdb.img")));
  });

  it("never runs a task_send twice: not when delivered again while it runs, nor after a restart in the middle of it", async () => {
    const disksDir = makeTempDir("task-disks");
    const targetImage = path.join(disksDir, "vdb.img");
    execFileSync("truncate", ["-s", "32M", targetImage]);
    startTarget({ disksDir });
    const source = startSource();
    const ids = await agentIds();
    let releaseLimit = false;
    fake.answerProgress = () => ({ shouldContinue: true, limitBytesPerSecond: releaseLimit ? null : 1024 * 1024 });
    const { send, passId } = await runPass(ids, {
      mode: "block",
      disks: [{ sourcePath: sourceImage, name: "vda", targetPath: targetImage }],
      options: options({ limitBytesPerSecond: 1024 * 1024 }),
    });
    await until(() => fake.progress.some((p) => p.passId === passId && p.bytesDone > 0), "the copy to be under way");
    // The console delivers it again (as if it had missed the ack) while it runs here.
    send.state = "queued";
    await until(() => send.ackCount >= 2, "the second ack");
    releaseLimit = true;
    await until(() => isFinished(send), "task_send's result");
    expect(send.state).toBe("succeeded");
    // One run: the copy started once (the agent logs each start).
    const log = fs.readFileSync(path.join(source.stateDir, "logs", "agent.log"), "utf8");
    expect(log.match(/task copy starting/g)).toHaveLength(1);
    expect(log).toContain("command delivered again while it runs");
    expect(sha256File(targetImage)).toBe(sha256File(sourceImage));
    await source.stop();

    // A copy that was running when the agent died: found "running" in the journal after the restart.
    const crashed = fake.queue(ids.source, "task_send", { ...send.payload, passId: randomUUID() });
    crashed.state = "acked";
    new CommandJournal(source.stateDir).put({
      id: crashed.id,
      type: "task_send",
      payload: crashed.payload,
      state: "running",
      receivedAt: new Date().toISOString(),
      startedAt: new Date().toISOString(),
      finishedAt: null,
      outcome: null,
      result: null,
      isReported: false,
    });
    const postsBefore = fake.progress.length;
    startSource(source.stateDir);
    await until(() => isFinished(crashed), "the interrupted command's result");
    // And the console delivers it once more: answered again, still not run.
    crashed.state = "queued";
    crashed.result = null;
    await until(() => crashed.state === "failed" && crashed.result !== null, "the repeated result");
    expect(crashed.result!.message).toBe(RESTARTED_DURING_COPY);
    expect(fake.progress.slice(postsBefore).filter((p) => p.passId === crashed.payload.passId)).toEqual([]);
  });
});
