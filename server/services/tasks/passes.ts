import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { tasks } from "@/drizzle/schema";
import type { DiskPair, TargetPreparation, TaskReceivePayload, TaskSendPayload } from "@/agent/src/protocol/v1/tasks";
import type { Tx } from "../../db";
import { badRequest } from "../../errors";
import { addTaskEvent, loadServer, mappingOf, queueTaskCommand, reportOf, settingsOf, type TaskRow } from "./records";
import { finishSubtask, startSubtask } from "./subtasks";
import { limitBytesPerSecondAt } from "./speed-limit";

/** The disks of a block-level task as the wire names them: disk0 is the system disk. */
export function diskPairsOf(task: TaskRow): DiskPair[] {
  const mapping = mappingOf(task);
  if (mapping.mode !== "block") return [];
  return mapping.disks.map((d, index) => ({ sourcePath: d.sourceDisk, name: `disk${index}`, targetPath: d.targetDisk }));
}

/**
 * File level onto the target's disks: each chosen source disk's layout as the source's latest
 * report has it, and its target disk. Every pass carries it; the target partitions only on the
 * first one and afterwards mounts what it made (or refuses if the disks are not the same).
 */
async function preparationOf(tx: Tx, task: TaskRow): Promise<TargetPreparation | undefined> {
  const mapping = mappingOf(task);
  if (mapping.mode !== "file" || !mapping.prepare) return undefined;
  const report = reportOf(await loadServer(tx, task.accountId, task.sourceServerId, "source"));
  const disks = mapping.prepare.disks.map((d) => {
    const source = report.disks.find((s) => s.path === d.sourceDisk || s.name === d.sourceDisk);
    if (!source) throw badRequest(`The source server no longer reports the disk ${d.sourceDisk}. Refresh its report, or delete this task and create it again.`);
    return { source, targetPath: d.targetDisk };
  });
  return { disks, isSameUuids: mapping.prepare.isSameUuids };
}

/**
 * Begins a pass (the full copy, or a sync): a fresh pass id, then asks the target agent to start
 * receiving. The pass's TLS link needs no secret from here: each agent makes its own key and gets a
 * certificate for this pass id from its CSR (certificates.ts), valid for this pass only.
 */
export async function beginPass(tx: Tx, task: TaskRow, isSync: boolean, userId: string | null): Promise<TaskRow> {
  const passId = randomUUID();
  const [updated] = await tx
    .update(tasks)
    .set({
      passId,
      passIsSync: isSync,
      passTargetAddress: null,
      bytesDone: 0,
      bytesSent: 0,
      rateBytesPerSecond: 0,
      errorMessage: null,
      startedAt: isSync ? task.startedAt : new Date(),
      finishedAt: null,
    })
    .where(eq(tasks.id, task.id))
    .returning();
  const mapping = mappingOf(task);
  const payload: TaskReceivePayload = {
    taskId: task.id,
    passId,
    mode: task.mode,
    isSync,
    disks: diskPairsOf(task),
    outDir: mapping.mode === "file" ? mapping.targetDir : null,
  };
  const prepare = await preparationOf(tx, task);
  // Only when there is one: a target agent that predates it still takes folder and block tasks.
  if (prepare) payload.prepare = prepare;
  await queueTaskCommand(tx, task, task.targetServerId, "task_receive", payload, userId);
  if (!isSync) {
    await finishSubtask(tx, task.id, "check_source", "succeeded");
    await finishSubtask(tx, task.id, "configure_tls", "succeeded");
    await startSubtask(tx, task.id, "prepare_target");
  } else {
    await startSubtask(tx, task.id, "sync");
  }
  await addTaskEvent(tx, task, "info", isSync ? "Incremental sync started: waiting for the target agent to receive." : "Migration started: waiting for the target agent to receive.");
  return updated!;
}

/**
 * The target listens: tell the source agent where to send, and which certificate (the one issued to
 * the target for this pass) the receiver there must present.
 */
export async function sendPassToSource(tx: Tx, task: TaskRow, address: string, targetCertPem: string): Promise<void> {
  if (!task.passId) return;
  const settings = settingsOf(task);
  const mapping = mappingOf(task);
  const payload: TaskSendPayload = {
    taskId: task.id,
    passId: task.passId,
    mode: task.mode,
    isSync: task.passIsSync,
    targetCertPem,
    targetAddress: address,
    disks: diskPairsOf(task),
    sourceRoot: mapping.mode === "file" ? mapping.sourceRoot : null,
    options: {
      limitBytesPerSecond: limitBytesPerSecondAt(settings, new Date()),
      compress: settings.compress,
      excludes: settings.excludes,
    },
  };
  await tx.update(tasks).set({ passTargetAddress: address }).where(eq(tasks.id, task.id));
  await queueTaskCommand(tx, task, task.sourceServerId, "task_send", payload, null);
  if (!task.passIsSync) {
    await finishSubtask(tx, task.id, "prepare_target", "succeeded");
    await startSubtask(tx, task.id, "migrate_system_disk");
  }
  await addTaskEvent(tx, task, "info", `The target is receiving at ${address}; the source agent is sending.`);
}
