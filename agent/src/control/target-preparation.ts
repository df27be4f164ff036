import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readFileIfExists, writeFileAtomic } from "../config/files";
import { UserError } from "../errors";
import { layoutBytesOf, layoutProblemOf, UNMADE_FS_TYPES, type LayoutDisk } from "../protocol/v1/disk-layout";
import type { TargetCapabilities } from "../protocol/v1/register";
import type { PreparationReport, TargetPreparation } from "../protocol/v1/tasks";
import { mountOrder, mountPrepared, prepareTarget, type PreparedPartition, type Run } from "../transfer/files/prepare-target";
import { releaseSpareWriters } from "../transfer/files/file-receiver";
import { startWorker } from "../transfer/files/start-worker";
import { isInside, resolveExisting } from "./target-offer";

/**
 * The target agent's side of a file-level task onto its own disks. Before the first pass the
 * offered block devices are checked (offered, large enough, not in use, the mkfs tools
 * installed), then partitioned and formatted after the source's disks and mounted under the
 * task's staging root; a marker in the task's state folder records what was made. A later pass,
 * a resume or an agent restart finds the marker and mounts what is missing instead of
 * partitioning again. Launch and delete unmount the staging root (after stopping the writer
 * thread the file receiver keeps open there for a next pass).
 */

const preparedPartitionSchema = z.object({
  sourcePath: z.string(),
  targetPath: z.string(),
  fsType: z.string().nullable(),
  label: z.string().nullable(),
  sourceUuid: z.string().nullable(),
  uuid: z.string().nullable(),
  mountPoint: z.string().nullable(),
});

const markerSchema = z.object({
  taskId: z.string().uuid(),
  stagingRoot: z.string(),
  isSameUuids: z.boolean(),
  disks: z.array(z.object({ sourcePath: z.string(), device: z.string(), partitions: z.array(preparedPartitionSchema) })),
  /** Source UUID → target UUID (empty when kept) and source device → target device, for configure-target. */
  uuidMap: z.record(z.string(), z.string()),
  deviceMap: z.record(z.string(), z.string()),
  preparedAt: z.string(),
});
export type PreparedMarker = z.infer<typeof markerSchema>;

const MARKER_FILE = "prepared.json";
// Storage tools live in sbin, which is often missing from a service's PATH.
const EXTRA_TOOL_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin"];

export const stagingRootOf = (taskDir: string) => path.join(taskDir, "root");

function findCommand(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...EXTRA_TOOL_DIRS]) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export const runCommand: Run = (cmd, args, input) => execFileSync(findCommand(cmd) ?? cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });

function mkfsToolOf(fsType: string): string {
  return fsType === "swap" ? "mkswap" : `mkfs.${fsType}`;
}

/** What the kernel has mounted, as /proc/self/mounts lists it (octal escapes undone). */
function readMountTable(): { source: string; target: string }[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const text = readFileIfExists("/proc/self/mounts") ?? "";
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" "))
    .map(([source, target]) => ({ source: unescape(source ?? ""), target: unescape(target ?? "") }));
}

function isSameDevice(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.isBlockDevice() && sb.isBlockDevice() && sa.rdev === sb.rdev;
  } catch {
    return false;
  }
}

/** A device path, or one of its partitions (/dev/sdb1, /dev/nvme0n1p2, /dev/loop3p1). */
function isDeviceOrPartition(candidate: string, device: string): boolean {
  if (candidate === device) return true;
  // A name ending in a digit takes "p" before the partition number: /dev/loop1p1, never /dev/loop10.
  return candidate.startsWith(device) && (/\d$/.test(device) ? /^p\d+$/ : /^\d+$/).test(candidate.slice(device.length));
}

function lastPartitionOf(disk: LayoutDisk) {
  return [...disk.partitions].sort((a, b) => (b.number ?? 0) - (a.number ?? 0))[0];
}

/** The plan's target paths as real paths, each one of the block devices this target offers. */
function checkOffered(plan: TargetPreparation, offered: TargetCapabilities["disks"]): string[] {
  const devices: string[] = [];
  for (const d of plan.disks) {
    const real = resolveExisting(d.targetPath);
    const disk = offered.find((o) => resolveExisting(o.path) === real);
    if (!disk) throw new UserError(`refused: ${d.targetPath} is not one of the disks this target offers (start the target agent with --disk ${d.targetPath})`);
    if (disk.kind !== "device") throw new UserError(`refused: ${d.targetPath} is an image file; only block devices can be partitioned and mounted for a file-level task`);
    if (devices.includes(real)) throw new UserError(`refused: two source disks would both be prepared on ${d.targetPath}`);
    devices.push(real);
  }
  return devices;
}

/**
 * Everything that can be known before a byte is written: each layout can be recreated and fits,
 * no device is mounted, a swap or otherwise held, and the tools are installed.
 */
function checkBeforeWriting(plan: TargetPreparation, devices: string[], run: Run): void {
  const tools = new Set(["blockdev", "blkid", "mount", "umount"]);
  const mounts = readMountTable();
  const swaps = (readFileIfExists("/proc/swaps") ?? "").split("\n").slice(1).map((l) => l.split(/\s+/)[0] ?? "").filter(Boolean);
  plan.disks.forEach((d, i) => {
    const device = devices[i]!;
    const problem = layoutProblemOf(d.source);
    if (problem) throw new UserError(`refused: ${problem}`);
    if (!fs.statSync(device).isBlockDevice()) throw new UserError(`refused: ${device} is not a block device`);
    const mounted = mounts.find((m) => isDeviceOrPartition(m.source.startsWith("/dev/") ? resolveExisting(m.source) : m.source, device));
    if (mounted) throw new UserError(`refused: ${mounted.source} is mounted at ${mounted.target}; unmount it or offer another disk`);
    const swap = swaps.find((s) => isDeviceOrPartition(resolveExisting(s), device));
    if (swap) throw new UserError(`refused: ${swap} is in use as swap; swapoff it or offer another disk`);
    // An exclusive open fails while anything holds the disk or a partition (LVM, RAID, a mount, a swap).
    try {
      fs.closeSync(fs.openSync(device, fs.constants.O_RDONLY | fs.constants.O_EXCL));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError(`refused: ${device} is ${code === "EBUSY" ? "in use (held by LVM, RAID, a mount or another program)" : `not usable (${code ?? (error as Error).message})`}`);
    }
    tools.add(d.source.partitionStyle === "gpt" || d.source.partitionStyle === "mbr" ? "sfdisk" : "wipefs");
    const filesystems = d.source.partitionStyle === "gpt" || d.source.partitionStyle === "mbr" ? d.source.partitions : [d.source];
    for (const p of filesystems) if (p.fsType && !UNMADE_FS_TYPES.includes(p.fsType)) tools.add(mkfsToolOf(p.fsType));
  });
  const missing = [...tools].filter((t) => !findCommand(t));
  if (missing.length) throw new UserError(`refused: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not installed on this target (e2fsprogs, xfsprogs, btrfs-progs, dosfstools, util-linux)`);
  plan.disks.forEach((d, i) => {
    const bytes = Number(run("blockdev", ["--getsize64", devices[i]!]).trim());
    const needed = layoutBytesOf(d.source);
    if (!(bytes >= needed)) throw new UserError(`refused: ${devices[i]} holds ${bytes} bytes; the layout of source disk ${d.source.path} needs ${needed}`);
  });
}

function writeMarker(taskDir: string, marker: PreparedMarker): void {
  writeFileAtomic(path.join(taskDir, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`, 0o600);
}

export function readPreparedMarker(taskDir: string): PreparedMarker | null {
  const text = readFileIfExists(path.join(taskDir, MARKER_FILE));
  if (text === null) return null;
  const parsed = markerSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new UserError(`${path.join(taskDir, MARKER_FILE)} is not a preparation record this agent can read`);
  return parsed.data;
}

function partitionsOf(marker: PreparedMarker): PreparedPartition[] {
  return marker.disks.flatMap((d) => d.partitions);
}

/**
 * Mounts what the marker records and is not mounted now (an agent or machine restart, a launch
 * that unmounted): each filesystem must still carry the UUID it was made with.
 */
export function mountPreparedAgain(marker: PreparedMarker, run: Run = runCommand): string[] {
  const table = readMountTable();
  const isMounted = (p: PreparedPartition, at: string) => {
    const here = table.filter((m) => m.target === at).at(-1);
    if (!here) return false;
    if (isSameDevice(here.source, p.targetPath)) return true;
    throw new UserError(`${at} has ${here.source} mounted instead of ${p.targetPath}, which was prepared for this task`);
  };
  for (const p of mountOrder(partitionsOf(marker))) {
    const at = path.resolve(marker.stagingRoot, `.${p.mountPoint!}`);
    if (isMounted(p, at) || !p.uuid) continue;
    let uuid = "";
    try {
      uuid = run("blkid", ["-p", "-s", "UUID", "-o", "value", p.targetPath]).trim();
    } catch {
      // no filesystem found: reported below
    }
    if (uuid.toLowerCase() !== p.uuid.toLowerCase()) {
      throw new UserError(`${p.targetPath} no longer holds the filesystem prepared for this task (UUID ${uuid || "none"}, made as ${p.uuid}); delete the task and create it again`);
    }
  }
  try {
    return mountPrepared(partitionsOf(marker), marker.stagingRoot, run, isMounted);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`mounting the prepared disks under ${marker.stagingRoot} failed: ${firstLines(error)}`);
  }
}

/** Unmounts everything mounted at or below dir, innermost first; throws if something stays mounted. */
export function unmountBelow(dir: string, run: Run = runCommand): string[] {
  const root = fs.existsSync(dir) ? fs.realpathSync(dir) : path.resolve(dir);
  const below = () => [...new Set(readMountTable().map((m) => m.target).filter((t) => t === root || isInside(t, root)))];
  const unmounted: string[] = [];
  let lastError = "";
  // A path mounted twice shows twice: go round until nothing is left or nothing moves.
  for (let round = 0; round < 8; round++) {
    const now = below().sort((a, b) => b.split("/").length - a.split("/").length);
    if (now.length === 0) break;
    let isProgress = false;
    for (const at of now) {
      try {
        run("umount", [at]);
        unmounted.push(at);
        isProgress = true;
      } catch (error) {
        lastError = firstLines(error);
      }
    }
    if (!isProgress) break;
  }
  const left = below();
  if (left.length) throw new UserError(`could not unmount ${left.join(", ")}${lastError ? `: ${lastError}` : ""}`);
  return unmounted;
}

function firstLines(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  return (e.stderr?.trim() || e.message || String(error)).split("\n").slice(0, 3).join(" ").slice(0, 500);
}

export function preparationReportOf(marker: PreparedMarker, isReused: boolean): PreparationReport {
  return {
    isReused,
    disks: marker.disks.map((d) => ({
      device: d.device,
      partitions: d.partitions.map((p) => ({ path: p.targetPath, fsType: p.fsType, label: p.label, uuid: p.uuid, mountPoint: p.mountPoint })),
    })),
  };
}

/**
 * The staging root of a task onto prepared disks, ready to receive into: prepared now on the
 * first pass, or found prepared (and mounted again where needed) on a later one. A sync never
 * partitions: without a marker it is refused, since the disks may hold the only copy.
 */
export interface PrepareInput {
  taskId: string;
  taskDir: string;
  plan: TargetPreparation;
  isSync: boolean;
  offered: TargetCapabilities["disks"];
}

export type PrepareOutcome = { isOk: true; marker: PreparedMarker; report: PreparationReport } | { isOk: false; message: string; isUserError: boolean; exitCode: number };

/** readyPreparedTarget on its own thread (prepare-worker.ts), so that heartbeats go on meanwhile. */
export async function readyPreparedTargetOffThread(o: PrepareInput): Promise<{ marker: PreparedMarker; report: PreparationReport }> {
  const worker = startWorker(new URL("./prepare-worker.ts", import.meta.url), "prepare", { workerData: o });
  const outcome = await new Promise<PrepareOutcome>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the disk preparation thread stopped (exit code ${code})`)));
  });
  await worker.terminate();
  if (outcome.isOk) return { marker: outcome.marker, report: outcome.report };
  throw outcome.isUserError ? new UserError(outcome.message, outcome.exitCode) : new Error(outcome.message);
}

export function readyPreparedTarget(o: PrepareInput & { run?: Run }): { marker: PreparedMarker; report: PreparationReport } {
  const run = o.run ?? runCommand;
  const devices = checkOffered(o.plan, o.offered);
  const existing = readPreparedMarker(o.taskDir);
  if (existing) {
    const before = existing.disks.map((d) => d.device).join(", ");
    if (before !== devices.join(", ")) throw new UserError(`refused: this task's files were placed on ${before}; the console now names ${devices.join(", ")}`);
    mountPreparedAgain(existing, run);
    return { marker: existing, report: preparationReportOf(existing, true) };
  }
  if (o.isSync) throw new UserError("refused: this target has no record of preparing disks for this task, and a sync never partitions them; delete the task and create it again");
  checkBeforeWriting(o.plan, devices, run);

  const stagingRoot = stagingRootOf(o.taskDir);
  fs.mkdirSync(stagingRoot, { recursive: true, mode: 0o700 });
  const marker: PreparedMarker = { taskId: o.taskId, stagingRoot, isSameUuids: o.plan.isSameUuids, disks: [], uuidMap: {}, deviceMap: {}, preparedAt: new Date().toISOString() };
  for (const [i, d] of o.plan.disks.entries()) {
    const device = devices[i]!;
    // The last partition grows into a larger disk, unless it is swap (a bigger swap helps nobody).
    const last = lastPartitionOf(d.source);
    try {
      const made = prepareTarget({ source: d.source, device, stagingRoot, isSameUuids: o.plan.isSameUuids, isGrowingLast: !!last?.fsType && last.fsType !== "swap", isMounting: false, run });
      marker.disks.push({ sourcePath: d.source.path, device, partitions: made.partitions });
      Object.assign(marker.uuidMap, made.uuidMap);
      Object.assign(marker.deviceMap, made.deviceMap);
    } catch (error) {
      throw new UserError(`preparing ${device} after source disk ${d.source.path} failed: ${firstLines(error)}`);
    }
  }
  try {
    mountPrepared(partitionsOf(marker), stagingRoot, run);
  } catch (error) {
    throw new UserError(`mounting the prepared disks under ${stagingRoot} failed: ${firstLines(error)}`);
  }
  writeMarker(o.taskDir, marker);
  return { marker, report: preparationReportOf(marker, false) };
}

/**
 * Unmounts a task's prepared disks for its launch. The file receiver keeps a writer thread ready
 * on the staging root for a next pass, holding it open: that thread is stopped first (a later
 * pass, after a failed launch, starts a new one and mounts the disks there again).
 */
export async function unmountForLaunch(marker: PreparedMarker, run: Run = runCommand): Promise<string[]> {
  await releaseSpareWriters(marker.stagingRoot);
  return unmountBelow(marker.stagingRoot, run);
}

/** The task was deleted: everything mounted below its folder is unmounted, its writer threads stopped first. */
export async function unmountTaskFolder(taskDir: string, run: Run = runCommand): Promise<string[]> {
  await releaseSpareWriters(taskDir);
  return unmountBelow(taskDir, run);
}
