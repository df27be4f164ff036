import fs from "node:fs/promises";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { UserError } from "../errors";
import { taskCertificateName } from "../protocol/v1/certificates";
import type { CommandResult } from "../protocol/v1/control";
import { taskAbortPayloadSchema, taskSendPayloadSchema, type TaskSendPayload, type TaskSendResult } from "../protocol/v1/tasks";
import { statTarget } from "../transfer/device-size";
import { sendFiles, type FileSendResult } from "../transfer/files/file-sender";
import { parseHostPort } from "../transfer/host-port";
import { detectValidLayout } from "../transfer/layout/valid-ranges";
import { formatBytes } from "../transfer/parse-rate";
import { sendDisks, TransferError, type DiskSendResult, type SendProgress } from "../transfer/sender";
import { SpeedLimit } from "../transfer/speed-limit";
import type { CertificateCredentials } from "../transfer/tls-credentials";
import type { CommandContext } from "./agent-loop";
import type { JournalRecord } from "./command-journal";
import { obtainPassCertificate } from "./task-certificates";
import { ProgressReporter } from "./task-progress";

export const RESTARTED_DURING_COPY = "The agent restarted during the copy; start the task again to resume.";
const STOPPED_DURING_COPY = "The agent was stopped during the copy; start the task again to resume.";

/** A pass stopped on purpose (task_abort, the console's "stop", the agent shutting down). */
class PassAborted extends UserError {}

/**
 * The speed limit of a block send that also stops it: the sender asks it before every frame, so an
 * abort lands within a frame (or one token-bucket wait) without a hook inside the data plane.
 */
class AbortableSpeedLimit extends SpeedLimit {
  constructor(
    private readonly signal: AbortSignal,
    base: number | null,
  ) {
    super(base);
  }

  override async take(bytes: number): Promise<void> {
    this.signal.throwIfAborted();
    await super.take(bytes);
    this.signal.throwIfAborted();
  }
}

type RunningSend = { commandId: string; taskId: string; passId: string; controller: AbortController; ended: Promise<unknown> };

export type SourceTasksOptions = {
  /** Where the data planes keep the chunk tables and file caches of past passes (for --sync and resume). */
  syncStateDir: string;
  progressIntervalMs?: number;
};

function parsePayload<T>(schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false; error: { message: string } } }, record: JournalRecord): T {
  const parsed = schema.safeParse(record.payload);
  if (!parsed.success) throw new UserError(`the console sent a ${record.type} command this agent cannot read (is the agent up to date?): ${parsed.error.message.slice(0, 300)}`);
  return parsed.data;
}

/** The source agent's task commands: send a pass to the target's receiver, abort a running one. */
export class SourceTasks {
  private readonly sends = new Map<string, RunningSend>();

  constructor(private readonly options: SourceTasksOptions) {}

  /** Stops every running send (the agent is stopping); each reports that it was stopped. */
  abortAll(): void {
    for (const s of this.sends.values()) s.controller.abort(new PassAborted(STOPPED_DURING_COPY));
  }

  async abort(record: JournalRecord): Promise<CommandResult> {
    const { taskId, passId } = parsePayload(taskAbortPayloadSchema, record);
    const matching = [...this.sends.values()].filter((s) => s.taskId === taskId && (passId === null || s.passId === passId));
    if (matching.length === 0) return { message: "No copy of this task was running on the source.", details: { abortedCount: 0 } };
    for (const s of matching) s.controller.abort(new PassAborted("The copy was stopped: the task was aborted."));
    await Promise.allSettled(matching.map((s) => s.ended));
    return { message: `Stopped the running copy of this task (pass ${matching.map((s) => s.passId).join(", ")}).`, details: { abortedCount: matching.length } };
  }

  async send(record: JournalRecord, context: CommandContext): Promise<CommandResult> {
    const payload = parsePayload(taskSendPayloadSchema, record);
    const other = [...this.sends.values()].find((s) => s.taskId === payload.taskId);
    if (other) throw new UserError(`a copy of this task (pass ${other.passId}) is already running on the source; abort it first`);
    const controller = new AbortController();
    const onAgentStop = () => controller.abort(new PassAborted(STOPPED_DURING_COPY));
    context.signal.addEventListener("abort", onAgentStop, { once: true });
    const running = this.runSend(payload, context, controller.signal);
    this.sends.set(record.id, { commandId: record.id, taskId: payload.taskId, passId: payload.passId, controller, ended: running.catch(() => undefined) });
    try {
      return await running;
    } finally {
      this.sends.delete(record.id);
      context.signal.removeEventListener("abort", onAgentStop);
    }
  }

  private async runSend(payload: TaskSendPayload, context: CommandContext, signal: AbortSignal): Promise<CommandResult> {
    const log = context.logger;
    const target = parseHostPort(payload.targetAddress, "");
    if (!target || !target.host || target.port === 0) throw new UserError(`the target address "${payload.targetAddress}" is not HOST:PORT`);
    if (payload.mode === "block" && payload.disks.length === 0) throw new UserError("the task names no disk to copy");
    if (payload.mode === "file" && !payload.sourceRoot) throw new UserError("the file-level task names no source folder");
    checkTargetCertificate(payload);
    const disks = payload.mode === "block" ? await this.measureDisks(payload) : [{ name: "files", totalBytes: 0 }];
    // The reporter's "stop" aborts through this controller; the caller's signal (task_abort, the
    // agent stopping) chains into it.
    const controller = new AbortController();
    const chained = () => controller.abort(signal.reason);
    if (signal.aborted) chained();
    else signal.addEventListener("abort", chained, { once: true });
    const limiter = new AbortableSpeedLimit(controller.signal, payload.options.limitBytesPerSecond);
    let fileLimit = payload.options.limitBytesPerSecond;
    let isFileLimitNoted = false;
    const reporter = new ProgressReporter({
      console: context.console,
      logger: log,
      agentId: context.agentId,
      taskId: payload.taskId,
      passId: payload.passId,
      disks,
      intervalMs: this.options.progressIntervalMs ?? 1000,
      onStop: (reason) => {
        log.warn("stopping the copy", { taskId: payload.taskId, passId: payload.passId, reason });
        controller.abort(new PassAborted(`The copy was stopped: ${reason}.`));
      },
      onLimit: (rate) => {
        if (payload.mode === "block") {
          if (limiter.currentRate() !== rate) log.info("speed limit changed", { taskId: payload.taskId, bytesPerSecond: rate });
          limiter.setOverride(rate);
        } else if (rate !== fileLimit && !isFileLimitNoted) {
          // The file-level sender takes its rate once; a change applies from the next pass.
          isFileLimitNoted = true;
          fileLimit = rate;
          log.warn("the speed limit changed; the file-level copy applies it from the next pass", { taskId: payload.taskId, bytesPerSecond: rate });
        }
      },
    });
    const onProgress = (p: SendProgress) => {
      controller.signal.throwIfAborted();
      reporter.update(p);
    };
    const dataLog = (line: string) => log.info(line, { taskId: payload.taskId });
    log.info("task copy starting", { taskId: payload.taskId, passId: payload.passId, mode: payload.mode, isSync: payload.isSync, target: payload.targetAddress });
    reporter.start();
    try {
      // The pass's key is made here and stays in this process; the console signs only its CSR.
      const issued = await obtainPassCertificate(context.console, { agentId: context.agentId, taskId: payload.taskId, passId: payload.passId, role: "source" }, controller.signal);
      const credentials: CertificateCredentials = { kind: "certificate", ...issued, peerCertPem: payload.targetCertPem };
      if (payload.mode === "block") {
        const results = await sendDisks({
          host: target.host,
          port: target.port,
          credentials,
          disks: payload.disks.map((d) => ({ path: d.sourcePath, name: d.name })),
          isSync: payload.isSync,
          speedLimit: limiter,
          compress: payload.options.compress,
          stateDir: path.join(this.options.syncStateDir, "block"),
          onProgress,
          log: dataLog,
        });
        const outcome = blockResult(results);
        await reporter.finish({ bytesTotal: outcome.bytesTotal, bytesSent: outcome.bytesSent });
        return { message: `Copied and verified: ${outcome.summary}`.slice(0, 2000), details: outcome };
      }
      const result = await sendFiles({
        host: target.host,
        port: target.port,
        credentials,
        root: payload.sourceRoot!,
        excludes: payload.options.excludes,
        isSync: payload.isSync,
        limitBytesPerSecond: payload.options.limitBytesPerSecond ?? undefined,
        compress: payload.options.compress,
        stateDir: path.join(this.options.syncStateDir, "files"),
        onProgress,
        log: dataLog,
      });
      const outcome = fileResult(result);
      await reporter.finish({ bytesTotal: outcome.bytesTotal, bytesSent: outcome.bytesSent });
      return { message: `Copied and verified: ${outcome.summary}`.slice(0, 2000), details: outcome };
    } catch (error) {
      await reporter.finish();
      if (controller.signal.aborted) {
        const reason: unknown = controller.signal.reason;
        throw reason instanceof PassAborted ? reason : new PassAborted("The copy was stopped.");
      }
      throw describeSendError(error);
    } finally {
      signal.removeEventListener("abort", chained);
      log.info("task copy ended", { taskId: payload.taskId, passId: payload.passId, progressPosts: reporter.posts });
    }
  }

  /** Bytes each disk will take (its valid data), so progress has a total from the first post. */
  private async measureDisks(payload: TaskSendPayload): Promise<{ name: string; totalBytes: number }[]> {
    const out: { name: string; totalBytes: number }[] = [];
    for (const d of payload.disks) {
      let totalBytes = 0;
      let handle: fs.FileHandle | null = null;
      try {
        const info = await statTarget(d.sourcePath);
        if (info.size !== null) {
          handle = await fs.open(d.sourcePath, "r");
          const layout = await detectValidLayout(handle, info.size);
          totalBytes = layout.dataBytes + layout.scanBytes;
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") throw new UserError(`the source disk ${d.sourcePath} does not exist on this server`);
        if (code === "EACCES" || code === "EPERM") throw new UserError(`the agent may not read the source disk ${d.sourcePath} (${code}): run it as root`);
        // Anything else: the sender reports it in its own words; the total fills in as it goes.
      } finally {
        await handle?.close();
      }
      out.push({ name: d.name, totalBytes });
    }
    return out;
  }
}

/** The certificate the console hands over to pin must be this pass's target's, or nothing is sent. */
function checkTargetCertificate(payload: TaskSendPayload) {
  let names: string | undefined;
  try {
    names = new X509Certificate(payload.targetCertPem).subjectAltName;
  } catch {
    throw new UserError("the console sent a target certificate this agent cannot read");
  }
  if (!names?.split(", ").includes(`URI:${taskCertificateName(payload.taskId, payload.passId, "target")}`)) {
    throw new UserError("the target certificate the console sent is not the one of this task pass's target");
  }
}

function describeSendError(error: unknown): Error {
  if (error instanceof UserError) return error;
  if (error instanceof TransferError) {
    return new UserError(`The copy failed: ${error.message}`);
  }
  const e = error as NodeJS.ErrnoException;
  if (e.code === "ENOENT") return new UserError(`The copy failed: ${e.path ?? "a source path"} does not exist on this server.`);
  if (e.code === "EACCES" || e.code === "EPERM") return new UserError(`The copy failed: the agent may not read ${e.path ?? "the source"} (${e.code}); run it as root.`);
  return error instanceof Error ? error : new Error(String(error));
}

function blockResult(results: DiskSendResult[]): TaskSendResult {
  const parts = results.map(
    (r) =>
      `${r.name}: verified ${r.verifiedChunks} of ${r.chunks} chunks, ${formatBytes(r.wireBytes)} sent for ${formatBytes(r.layout.dataBytes + r.layout.scanBytes)} of valid data` +
      `${r.skippedChunks ? `, ${r.skippedChunks} chunks already on the target` : ""}`,
  );
  return {
    bytesTotal: results.reduce((n, r) => n + r.layout.dataBytes + r.layout.scanBytes, 0),
    bytesSent: results.reduce((n, r) => n + r.wireBytes, 0),
    verifiedCount: results.reduce((n, r) => n + r.verifiedChunks, 0),
    totalCount: results.reduce((n, r) => n + r.chunks, 0),
    summary: parts.join("; ").slice(0, 2000),
  };
}

function fileResult(result: FileSendResult): TaskSendResult {
  const r = result.report;
  const s = result.stats;
  const summary =
    `${r.total} entries verified (${s.files} files, ${s.dirs} folders, ${s.symlinks} symlinks), ${formatBytes(s.bytes)}; ` +
    `${s.put} sent, ${s.meta} metadata only, ${s.keep} unchanged${r.deleted ? `, ${r.deleted} deleted on the target` : ""}; ` +
    `${formatBytes(result.wireBytes)} on the wire${result.notes.length ? `; ${result.notes.length} notes (files changed or vanished during the copy, sockets skipped)` : ""}`;
  return {
    bytesTotal: s.bytes,
    bytesSent: result.wireBytes,
    verifiedCount: r.total - r.different - r.missing,
    totalCount: r.total,
    summary: summary.slice(0, 2000),
  };
}
