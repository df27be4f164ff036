import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { z } from "zod";
import { readFileIfExists, writeFileAtomic } from "../config/files";
import { configureBlockRoot } from "./block-launch";
import { writeStaticNetwork } from "./static-network";
import { UserError } from "../errors";
import { taskCertificateName } from "../protocol/v1/certificates";
import type { CommandResult } from "../protocol/v1/control";
import type { TargetCapabilities } from "../protocol/v1/register";
import {
  describePreparation,
  diskPairSchema,
  migrationModeSchema,
  taskAbortPayloadSchema,
  taskCleanupPayloadSchema,
  taskLaunchPayloadSchema,
  taskReceivePayloadSchema,
  type PreparationReport,
  type TaskLaunchPayload,
  type TaskReceivePayload,
} from "../protocol/v1/tasks";
import { configureTarget } from "../transfer/files/configure-target";
import { startReceiver, type RunningReceiver, type SessionResult } from "../transfer/receiver";
import type { CertificateCredentials } from "../transfer/tls-credentials";
import type { Logger } from "../logging/logger";
import type { CommandContext } from "./agent-loop";
import type { JournalRecord } from "./command-journal";
import { obtainPassCertificate } from "./task-certificates";
import { formatAddress, isInside, resolveExisting, type PortRange } from "./target-offer";
import { mountPreparedAgain, readPreparedMarker, readyPreparedTargetOffThread, stagingRootOf, unmountForLaunch, unmountTaskFolder } from "./target-preparation";

/** A receiver nobody finished a session with in this long is closed (the pass was abandoned). */
export const DEFAULT_RECEIVER_TIMEOUT_MS = 24 * 3600 * 1000;

/** What the target remembers of a task between passes and restarts: where it wrote, how passes ended. */
const taskRecordSchema = z.object({
  taskId: z.string().uuid(),
  mode: migrationModeSchema,
  disks: z.array(diskPairSchema),
  outDir: z.string().nullable(),
  passes: z.array(
    z.object({
      passId: z.string().uuid(),
      isSync: z.boolean(),
      startedAt: z.string(),
      endedAt: z.string().nullable(),
      outcome: z.enum(["listening", "verified", "failed", "aborted", "timed-out"]),
      message: z.string().nullable(),
    }),
  ),
  launchedAt: z.string().nullable().default(null),
});
type TaskRecord = z.infer<typeof taskRecordSchema>;
type PassOutcome = TaskRecord["passes"][number]["outcome"];

type RunningPass = {
  taskId: string;
  passId: string;
  mode: "block" | "file";
  address: string;
  /** Real paths this pass writes: target disks, or the output folder. */
  writes: string[];
  receiver: RunningReceiver;
  stop: (outcome: PassOutcome, message: string) => void;
  ended: Promise<void>;
};

/** A launch hook that has not answered in this time has failed. */
const LAUNCH_COMMAND_TIMEOUT_MS = 10 * 60 * 1000;
/** How long a launch waits for a pass of its task that is still being sealed. */
const LAUNCH_WAIT_FOR_PASS_MS = 60 * 1000;

export type TargetTasksOptions = {
  stateDir: string;
  logger: Logger;
  /** The offer as last registered with the console. */
  capabilities: () => TargetCapabilities;
  portRange?: PortRange;
  receiverTimeoutMs?: number;
  /** The launch hook: run after the target is configured (see `ferry-agent target --launch-command`). */
  launchCommand?: string;
};

function parsePayload<T>(schema: z.ZodType<T>, record: JournalRecord): T {
  const parsed = schema.safeParse(record.payload);
  if (!parsed.success) throw new UserError(`the console sent a ${record.type} command this agent cannot read (is the agent up to date?): ${parsed.error.message.slice(0, 300)}`);
  return parsed.data;
}

async function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/**
 * The target agent's task commands. task_receive starts one receiver per pass on a free port and
 * answers as soon as it listens; the receiver runs on until the source finishes (verified or not),
 * the pass is aborted, or it times out. Writes go only where the offer allows: the disks it
 * registered (block level) and folders below its file root (file level), or, for a file-level
 * task onto disks, its offered block devices prepared like the source's (target-preparation.ts).
 */
export class TargetTasks {
  private readonly passes = new Map<string, RunningPass>();

  constructor(private readonly options: TargetTasksOptions) {}

  private get log() {
    return this.options.logger;
  }

  private taskFile(taskId: string) {
    return path.join(this.options.stateDir, "tasks", `${taskId}.json`);
  }

  private readTask(taskId: string): TaskRecord | null {
    const text = readFileIfExists(this.taskFile(taskId));
    if (text === null) return null;
    const parsed = taskRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  }

  private writeTask(record: TaskRecord) {
    fs.mkdirSync(path.dirname(this.taskFile(record.taskId)), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.taskFile(record.taskId), `${JSON.stringify(record, null, 2)}\n`, 0o600);
  }

  private recordPassEnd(taskId: string, passId: string, outcome: PassOutcome, message: string | null) {
    const task = this.readTask(taskId);
    const pass = task?.passes.find((p) => p.passId === passId);
    if (!task || !pass) return;
    pass.outcome = outcome;
    pass.message = message;
    pass.endedAt = new Date().toISOString();
    this.writeTask(task);
  }

  /** Closes every receiver (the agent is stopping). */
  async closeAll(): Promise<void> {
    for (const p of this.passes.values()) p.stop("aborted", "the target agent stopped");
    await Promise.allSettled([...this.passes.values()].map((p) => p.ended));
  }

  /** Where a block pass may write: each target path must be one of the offered disks. */
  private checkDisks(payload: TaskReceivePayload): string[] {
    if (payload.disks.length === 0) throw new UserError("the task names no disk to write");
    const offered = new Set(this.options.capabilities().disks.map((d) => resolveExisting(d.path)));
    const names = new Set<string>();
    const real: string[] = [];
    for (const d of payload.disks) {
      if (names.has(d.name)) throw new UserError(`two disks of the task are both named "${d.name}"`);
      names.add(d.name);
      const target = resolveExisting(d.targetPath);
      if (!offered.has(target)) {
        throw new UserError(`refused: ${d.targetPath} is not one of the disks this target offers (start the target agent with --disk or --disks-dir to offer it)`);
      }
      if (real.includes(target)) throw new UserError(`refused: two source disks would both be written to ${d.targetPath}`);
      real.push(target);
    }
    return real;
  }

  /** Where a file pass may write: a folder strictly below the file root (never the root itself). */
  private checkOutDir(payload: TaskReceivePayload): string {
    const root = this.options.capabilities().fileRoot;
    if (!root) throw new UserError("refused: this target takes no file-level migrations (start the target agent with --file-root DIR)");
    if (!payload.outDir) throw new UserError("the file-level task names no target folder");
    const realRoot = resolveExisting(root);
    const wanted = resolveExisting(path.resolve(realRoot, payload.outDir));
    if (!isInside(wanted, realRoot)) throw new UserError(`refused: ${payload.outDir} is not a folder below this target's file root ${root}`);
    fs.mkdirSync(wanted, { recursive: true, mode: 0o755 });
    // Made now, so a symlink in the way shows in its real path.
    const made = fs.realpathSync(wanted);
    if (!isInside(made, realRoot)) throw new UserError(`refused: ${payload.outDir} leads outside this target's file root ${root}`);
    return made;
  }

  async receive(record: JournalRecord, context: CommandContext): Promise<CommandResult> {
    const payload = parsePayload(taskReceivePayloadSchema, record);
    const existing = this.passes.get(payload.passId);
    if (existing) {
      if (existing.taskId !== payload.taskId) throw new UserError("refused: a receiver already runs for this pass id, for another task");
      return { message: `The receiver for this pass already listens on ${existing.address}.`, details: { address: existing.address } };
    }
    // Block checkpoints live in the state folder, per task, so a later pass resumes or syncs; a
    // task onto prepared disks keeps its staging root and preparation record there too.
    const taskDir = path.join(this.options.stateDir, "receive", payload.taskId);
    const writes =
      payload.mode === "block"
        ? this.checkDisks(payload)
        : payload.prepare
          ? [readPreparedMarker(taskDir)?.stagingRoot ?? stagingRootOf(taskDir), ...payload.prepare.disks.map((d) => resolveExisting(d.targetPath))]
          : [this.checkOutDir(payload)];
    for (const other of this.passes.values()) {
      const clash = writes.find((w) => other.writes.some((o) => o === w || isInside(w, o) || isInside(o, w)));
      if (clash) throw new UserError(`refused: ${clash} is being written by another pass (task ${other.taskId}); abort that one first`);
    }
    let preparation: PreparationReport | undefined;
    if (payload.mode === "file" && payload.prepare) {
      const ready = await readyPreparedTargetOffThread({ taskId: payload.taskId, taskDir, plan: payload.prepare, isSync: payload.isSync, offered: this.options.capabilities().disks });
      preparation = ready.report;
      this.log.info(ready.report.isReused ? "found this task's disks prepared" : "prepared the target's disks after the source's", { taskId: payload.taskId, disks: ready.report.disks });
    }
    const outDir = payload.mode === "block" ? taskDir : writes[0]!;
    const maps = payload.mode === "block" ? Object.fromEntries(payload.disks.map((d, i) => [d.name, writes[i]!])) : undefined;
    const receiveHost = this.options.capabilities().receiveHost;
    const listenHost = net.isIPv6(receiveHost) ? "::" : "0.0.0.0";
    // The pass's key is made here and stays in this process; the console signs only its CSR.
    const issued = await obtainPassCertificate(context.console, { agentId: context.agentId, taskId: payload.taskId, passId: payload.passId, role: "target" }, context.signal);
    const credentials: CertificateCredentials = { kind: "certificate", ...issued, peerName: taskCertificateName(payload.taskId, payload.passId, "source") };
    const receiver = await this.listen(listenHost, { credentials, outDir, maps, taskId: payload.taskId });
    const address = formatAddress(receiveHost, receiver.address.port);

    const previous = this.readTask(payload.taskId);
    this.writeTask({
      taskId: payload.taskId,
      mode: payload.mode,
      disks: payload.mode === "block" ? payload.disks.map((d, i) => ({ ...d, targetPath: writes[i]! })) : [],
      outDir: payload.mode === "file" ? writes[0]! : null,
      passes: [
        ...(previous?.passes ?? []).slice(-20),
        { passId: payload.passId, isSync: payload.isSync, startedAt: new Date().toISOString(), endedAt: null, outcome: "listening", message: null },
      ],
      launchedAt: previous?.launchedAt ?? null,
    });

    let stop: RunningPass["stop"] = () => undefined;
    const stopped = new Promise<{ outcome: PassOutcome; message: string }>((resolve) => {
      stop = (outcome, message) => resolve({ outcome, message });
    });
    const timer = setTimeout(() => stop("timed-out", "no source finished sending to this receiver in time"), this.options.receiverTimeoutMs ?? DEFAULT_RECEIVER_TIMEOUT_MS);
    timer.unref();
    const ended = (async () => {
      const first = await Promise.race([receiver.nextSession().then((session) => ({ session })), stopped]);
      clearTimeout(timer);
      const { outcome, message } = "session" in first ? describeSession(first.session) : first;
      this.log[outcome === "verified" ? "info" : "warn"]("task pass ended on the target", { taskId: payload.taskId, passId: payload.passId, outcome, message });
      this.recordPassEnd(payload.taskId, payload.passId, outcome, message);
      this.passes.delete(payload.passId);
      await closeSoon(receiver);
    })();
    this.passes.set(payload.passId, { taskId: payload.taskId, passId: payload.passId, mode: payload.mode, address, writes, receiver, stop, ended });
    this.log.info("receiver listening for a task pass", { taskId: payload.taskId, passId: payload.passId, mode: payload.mode, address, writes });
    const prepared = preparation ? ` ${describePreparation(preparation)}` : "";
    return { message: `Receiving on ${address} into ${writes.join(", ")}.${prepared}`.slice(0, 2000), details: { address, ...(preparation ? { preparation } : {}) } };
  }

  private async listen(host: string, o: { credentials: CertificateCredentials; outDir: string; maps?: Record<string, string>; taskId: string }): Promise<RunningReceiver> {
    const ports = this.options.portRange ? range(this.options.portRange) : [0];
    for (const port of ports) {
      if (port !== 0 && !(await isPortFree(port, host))) continue;
      try {
        return await startReceiver({
          host,
          port,
          credentials: o.credentials,
          outDir: o.outDir,
          maps: o.maps,
          log: (line) => this.log.info(line, { taskId: o.taskId }),
        });
      } catch (error) {
        // Taken between the probe and the listen: try the next port.
        if ((error as NodeJS.ErrnoException).code === "EADDRINUSE" && port !== 0) continue;
        throw new UserError(`the receiver cannot listen on ${host}:${port}: ${(error as Error).message}`);
      }
    }
    throw new UserError(`no free port in ${this.options.portRange!.first}-${this.options.portRange!.last} for the receiver`);
  }

  async abort(record: JournalRecord): Promise<CommandResult> {
    const { taskId, passId } = parsePayload(taskAbortPayloadSchema, record);
    const matching = [...this.passes.values()].filter((p) => p.taskId === taskId && (passId === null || p.passId === passId));
    if (matching.length === 0) return { message: "No receiver of this task was running on the target.", details: { abortedCount: 0 } };
    for (const p of matching) p.stop("aborted", "the pass was aborted");
    await Promise.allSettled(matching.map((p) => p.ended));
    return { message: `Stopped the receiver of this task (pass ${matching.map((p) => p.passId).join(", ")}).`, details: { abortedCount: matching.length } };
  }

  /** The task was deleted in the console: stop its receivers and drop its staging on this target. */
  async cleanup(record: JournalRecord): Promise<CommandResult> {
    const { taskId } = parsePayload(taskCleanupPayloadSchema, record);
    const running = [...this.passes.values()].filter((p) => p.taskId === taskId);
    for (const p of running) p.stop("aborted", "the task was deleted");
    await Promise.allSettled(running.map((p) => p.ended));
    // Prepared disks are unmounted first: removing the folder with them still mounted would delete the migrated files.
    const taskDir = path.join(this.options.stateDir, "receive", taskId);
    const unmounted = fs.existsSync(taskDir) ? await unmountTaskFolder(taskDir) : [];
    const removed: string[] = [];
    for (const staging of [taskDir, this.taskFile(taskId)]) {
      if (fs.existsSync(staging)) {
        fs.rmSync(staging, { recursive: true, force: true });
        removed.push(staging);
      }
    }
    return {
      message: removed.length
        ? `${unmounted.length ? `Unmounted ${unmounted.join(", ")}. ` : ""}Removed this task's staging: ${removed.join(", ")}. The migrated data stays.`
        : "Nothing of this task was staged on this target.",
      details: { removed, unmounted },
    };
  }

  async launch(record: JournalRecord): Promise<CommandResult> {
    const payload = parsePayload(taskLaunchPayloadSchema, record);
    const task = this.readTask(payload.taskId);
    if (!task) throw new UserError("this target has not received this task: nothing to launch");
    // The console may ask for the launch the moment the source reports the pass verified (a final
    // sync, "start target after migration") while this receiver is still sealing it: give it time.
    const receiving = [...this.passes.values()].filter((p) => p.taskId === payload.taskId);
    if (receiving.length) {
      const settled = await Promise.race([
        Promise.allSettled(receiving.map((p) => p.ended)).then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), LAUNCH_WAIT_FOR_PASS_MS).unref()),
      ]);
      if (!settled) throw new UserError("a pass of this task is still being received: wait for it or abort it first");
    }
    const last = task.passes.at(-1);
    if (!last || last.outcome !== "verified") {
      throw new UserError(`the last pass of this task did not end verified (${last?.outcome ?? "none"}${last?.message ? `: ${last.message}` : ""}): run a sync first`);
    }
    const changes: string[] = [];
    const notDone: string[] = [];
    const prepared = task.mode === "file" ? readPreparedMarker(path.join(this.options.stateDir, "receive", payload.taskId)) : null;
    const preparedDisks = prepared?.disks.map((d) => d.device) ?? null;
    if (task.mode === "block") {
      // The copies keep the source's UUIDs and device names; the network cards change.
      let root;
      try {
        root = await configureBlockRoot(task.disks.map((d) => d.targetPath), path.join(this.options.stateDir, "launch", payload.taskId), (at) => configureRoot(at, payload));
      } catch (error) {
        throw new UserError(`configuring the target disks failed: ${(error as Error).message}`);
      }
      if (root.isFound) {
        changes.push(...root.result.changes.map((c) => `${root.where}: ${c}`));
        notDone.push(...root.result.notDone);
      } else notDone.push(`the migrated system was not configured (hostname, network cards, static address): ${root.why}`);
      for (const d of task.disks) {
        flushToDisk(d.targetPath);
        changes.push(`${d.targetPath} (${d.name}) holds the verified copy of pass ${last.passId} and was flushed to stable storage`);
      }
      if (!this.options.launchCommand) notDone.push("no machine was started: this target has no launch hook (--launch-command); boot a machine from these disks");
    } else {
      const outDir = prepared?.stagingRoot ?? task.outDir!;
      // Onto prepared disks: mounted again if a restart or an earlier launch left them unmounted.
      if (prepared) mountPreparedAgain(prepared);
      if (payload.outDir && resolveExisting(path.resolve(this.options.capabilities().fileRoot ?? "/", payload.outDir)) !== outDir) {
        throw new UserError(`the launch names ${payload.outDir} but this task was received into ${outDir}`);
      }
      // A folder target keeps the source's filesystems, so UUIDs and device names stay; prepared
      // disks may have new UUIDs and other device names, rewritten here.
      const configured = configureRoot(outDir, payload, { uuidMap: prepared?.uuidMap, deviceMap: prepared?.deviceMap });
      changes.push(...configured.changes);
      notDone.push(...configured.notDone);
      this.log.info("configured the migrated root", { taskId: payload.taskId, outDir, changes });
      if (prepared) {
        const devices = preparedDisks!.join(", ");
        const unmounted = await unmountForLaunch(prepared);
        changes.push(`unmounted ${unmounted.length} filesystem${unmounted.length === 1 ? "" : "s"} of ${devices} from ${prepared.stagingRoot}`);
        notDone.push(`no boot loader was installed on ${devices}: the copy holds the source's boot files, the launch hook or a chroot installs it`);
      }
      if (!this.options.launchCommand) notDone.push("no machine was started: this target has no launch hook (--launch-command)");
    }
    if (this.options.launchCommand) {
      const env = {
        ...process.env,
        FERRY_TASK_ID: payload.taskId,
        FERRY_MIGRATION_MODE: task.mode,
        // Prepared disks are unmounted by now: the hook gets them as disks, like block level.
        FERRY_TARGET_ROOT: task.mode === "file" && !preparedDisks ? (task.outDir ?? "") : "",
        FERRY_TARGET_DISKS: task.mode === "block" ? task.disks.map((d) => d.targetPath).join(":") : (preparedDisks?.join(":") ?? ""),
        FERRY_HOSTNAME: payload.hostname ?? "",
        // A server template's static address, for hooks that configure block-level disks themselves.
        FERRY_STATIC_ADDRESS: payload.network?.address ?? "",
        FERRY_GATEWAY: payload.network?.gateway ?? "",
        FERRY_DNS: payload.network?.dns.join(" ") ?? "",
      };
      const run = spawnSync("/bin/sh", ["-c", this.options.launchCommand], { env, encoding: "utf8", timeout: LAUNCH_COMMAND_TIMEOUT_MS });
      const output = `${run.stdout ?? ""}${run.stderr ?? ""}`.trim().slice(-500);
      if (run.error || run.status !== 0) {
        throw new UserError(`the launch command failed (${run.error ? run.error.message : `exit ${run.status}`})${output ? `: ${output}` : ""}`);
      }
      changes.push(`launch command ran${output ? `: ${output}` : ""}`);
    }
    task.launchedAt = new Date().toISOString();
    this.writeTask(task);
    const message = `Target ready: ${changes.length} change${changes.length === 1 ? "" : "s"}${changes.length ? ` (${changes.join("; ")})` : ""}. Not done: ${notDone.join("; ")}.`;
    return { message: message.slice(0, 2000), details: { changes, notDone } };
  }
}

function range({ first, last }: PortRange): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

function describeSession(session: SessionResult): { outcome: PassOutcome; message: string } {
  if (session.isOk && session.files) return { outcome: "verified", message: `${session.files.report.total} entries verified` };
  if (session.isOk && session.disks.length > 0) return { outcome: "verified", message: session.disks.map((d) => `${d.name}: verified ${d.chunks} chunks`).join("; ") };
  return { outcome: "failed", message: session.error ?? "the source ended the session before verification" };
}

/**
 * Stops listening. A connection still open (a source that was not told to stop) keeps its session
 * until it ends; waiting for it here would hold up the abort, so the close goes on in the background.
 */
async function closeSoon(receiver: RunningReceiver): Promise<void> {
  await Promise.race([receiver.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
}

/**
 * Configures a migrated root before it boots on its new machine: the hostname, references to
 * the source's UUIDs and device names (maps given), every MAC pin of the source's network cards
 * removed (configure-target's rule), then a server template's static address.
 */
function configureRoot(root: string, payload: TaskLaunchPayload, maps: { uuidMap?: Record<string, string>; deviceMap?: Record<string, string> } = {}): { changes: string[]; notDone: string[] } {
  const changes: string[] = [];
  const notDone: string[] = [];
  if (payload.hostname) {
    const etc = path.join(root, "etc");
    if (fs.existsSync(etc) && fs.statSync(etc).isDirectory()) {
      writeFileAtomic(path.join(etc, "hostname"), `${payload.hostname}\n`, 0o644);
      changes.push(`/etc/hostname: set to ${payload.hostname}`);
    } else notDone.push(`the hostname was not set: ${root} has no etc folder`);
  }
  let configured;
  try {
    configured = configureTarget({ root, ...maps });
  } catch (error) {
    throw new UserError(`configuring ${root} failed: ${(error as Error).message}`);
  }
  for (const c of configured) changes.push(`${c.file}:${c.line}: ${c.reason}`);
  if (payload.network) {
    const written = writeStaticNetwork(root, payload.network);
    if (written) changes.push(...written);
    else notDone.push(`the static address ${payload.network.address} was not set: no netplan, ifcfg or /etc/network/interfaces in the migrated root`);
  }
  return { changes, notDone };
}

function flushToDisk(file: string) {
  const fd = fs.openSync(file, "r+");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
