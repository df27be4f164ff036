import { randomBytes, randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { tasks } from "@/drizzle/schema";
import type { DiskPair, TaskReceivePayload, TaskSendPayload } from "@/agent/src/protocol/v1/tasks";
import { openSecret, sealSecret } from "../../crypto/secret-box";
import type { Tx } from "../../db";
import { getSecrets } from "../../secrets";
import { addTaskEvent, mappingOf, queueTaskCommand, settingsOf, type TaskRow } from "./records";
import { finishSubtask, startSubtask } from "./subtasks";
import { limitBytesPerSecondAt } from "./speed-limit";

const passAad = (taskId: string, passId: string) => `ferry:task-pass:${taskId}:${passId}`;

/** The disks of a block-level task as the wire names them: disk0 is the system disk. */
export function diskPairsOf(task: TaskRow): DiskPair[] {
  const mapping = mappingOf(task);
  if (mapping.mode !== "block") return [];
  return mapping.disks.map((d, index) => ({ sourcePath: d.sourceDisk, name: `disk${index}`, targetPath: d.targetDisk }));
}

/**
 * Begins a pass (the full copy, or a sync): a fresh pass id and a fresh 256-bit token that keys
 * the pass's TLS link, then asks the target agent to start receiving. The token is stored sealed
 * and only ever leaves the console inside the two agents' signed commands.
 */
export async function beginPass(tx: Tx, task: TaskRow, isSync: boolean, userId: string | null): Promise<TaskRow> {
  const passId = randomUUID();
  const token = randomBytes(32).toString("hex");
  const passSealedToken = sealSecret(getSecrets().masterKey, token, passAad(task.id, passId));
  const [updated] = await tx
    .update(tasks)
    .set({
      passId,
      passSealedToken,
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
    token,
    disks: diskPairsOf(task),
    outDir: mapping.mode === "file" ? mapping.targetDir : null,
  };
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

/** The target listens: tell the source agent where to send, with the same pass token. */
export async function sendPassToSource(tx: Tx, task: TaskRow, address: string): Promise<void> {
  if (!task.passId || !task.passSealedToken) return;
  const token = openSecret(getSecrets().masterKey, task.passSealedToken, passAad(task.id, task.passId));
  const settings = settingsOf(task);
  const mapping = mappingOf(task);
  const payload: TaskSendPayload = {
    taskId: task.id,
    passId: task.passId,
    mode: task.mode,
    isSync: task.passIsSync,
    token,
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
