import { and, eq } from "drizzle-orm";
import { serverTemplates, taskProgressSamples, taskSubtasks, tasks } from "@/drizzle/schema";
import type { CommandResult } from "@/agent/src/protocol/v1/control";
import {
  describePreparation,
  taskProgressRequestSchema,
  taskReceiveResultSchema,
  taskSendResultSchema,
  type TaskProgressRequest,
  type TaskProgressResponse,
} from "@/agent/src/protocol/v1/tasks";
import { assertCan } from "../../authz/assert-can";
import type { Tx } from "../../db";
import { notFound } from "../../errors";
import type { ServiceContext } from "../context";
import { serverSettingsSchema } from "../templates/schemas";
import { findAgentServer } from "../servers/find-agent-server";
import { passCertificateOf } from "./certificates";
import { sendPassToSource } from "./passes";
import { addTaskEvent, applyTaskEvent, lockTask, queueTaskCommand, settingsOf, mappingOf, type TaskRow } from "./records";
import { limitBytesPerSecondAt } from "./speed-limit";
import { finishSubtask, startSubtask, updateSubtask } from "./subtasks";

type FinishedCommand = { type: string; payload: Record<string, unknown>; serverId: string };

/**
 * An agent reported how a task command ended (called inside the transaction that records the
 * result). Drives the task: receiver ready → send; send verified → success; failures → plain words.
 * Results of an old pass (after an abort or a restart) change nothing.
 */
export async function onTaskCommandFinished(tx: Tx, accountId: string, command: FinishedCommand, outcome: "succeeded" | "failed", result: CommandResult) {
  const taskId = typeof command.payload.taskId === "string" ? command.payload.taskId : null;
  if (!taskId) return;
  let task: TaskRow;
  try {
    task = await lockTask(tx, accountId, taskId);
  } catch {
    return; // The task was deleted meanwhile.
  }
  const passId = command.payload.passId;
  const isCurrentPass = typeof passId === "string" && passId === task.passId;
  switch (command.type) {
    case "task_receive": {
      if (!isCurrentPass || !["RUNNING", "SYNCING"].includes(task.state)) return;
      if (outcome === "failed") return failPass(tx, task, `The target agent could not start receiving: ${result.message}`, "Check the target server's disks or folder and its agent's log, then start the task again.");
      const details = taskReceiveResultSchema.safeParse(result.details);
      if (!details.success) return failPass(tx, task, "The target agent answered without an address to send to.", "Update the target agent to this console's version.");
      const targetCertPem = await passCertificateOf(tx, task, "target");
      if (!targetCertPem) return failPass(tx, task, "The target agent listened without a certificate for this pass from the console.", "Update the target agent to this console's version, then start the task again.");
      if (details.data.preparation) await addTaskEvent(tx, task, "info", `Target disks: ${describePreparation(details.data.preparation)}`);
      return sendPassToSource(tx, task, details.data.address, targetCertPem);
    }
    case "task_send": {
      if (!isCurrentPass) return;
      if (task.state === "ABORTING") return finishAbort(tx, task);
      if (!["RUNNING", "SYNCING"].includes(task.state)) return;
      if (outcome === "failed") return failPass(tx, task, `The copy failed: ${result.message}`, "Fix the cause, then start the task again: the copy resumes from its last checkpoint.");
      const details = taskSendResultSchema.safeParse(result.details);
      if (!details.success) return failPass(tx, task, "The source agent reported success without a verification result.", "Update the source agent to this console's version.");
      return succeedPass(tx, task, details.data.summary, details.data.bytesTotal, details.data.bytesSent);
    }
    case "task_abort": {
      if (task.state === "ABORTING") return finishAbort(tx, task);
      return;
    }
    case "task_launch": {
      if (task.state !== "LAUNCHING") return;
      if (outcome === "failed") {
        const row = await applyTaskEvent(tx, task, "fail", { errorMessage: result.message });
        await finishSubtask(tx, task.id, "launch", "failed");
        return addTaskEvent(tx, row, "error", `Launching the target failed: ${result.message}`, "The migrated data is unchanged. Sync again or retry the launch.");
      }
      const row = await applyTaskEvent(tx, task, "launched", { finishedAt: new Date(), errorMessage: null });
      await finishSubtask(tx, task.id, "configure_target", "succeeded");
      await finishSubtask(tx, task.id, "launch", "succeeded");
      return addTaskEvent(tx, row, "info", `Target server launched. ${result.message}`);
    }
  }
}

async function failPass(tx: Tx, task: TaskRow, message: string, hint: string) {
  let row = await applyTaskEvent(tx, task, "fail", { errorMessage: message, rateBytesPerSecond: 0, launchAfterSync: false });
  if (row.state === "SYNC_F_ROLLBACKING") {
    // A block-level target cannot be rolled back to the previous pass; say so instead of pretending.
    row = await applyTaskEvent(tx, row, "fail");
    hint = `${hint} The target holds a partly synchronized copy until the next pass completes.`;
  }
  for (const name of ["prepare_target", "migrate_system_disk", "migrate_data_disks", "verify", "sync"] as const) {
    // Only the step that was running fails; finished steps keep their state.
    await tx
      .update(taskSubtasks)
      .set({ state: "failed", finishedAt: new Date() })
      .where(and(eq(taskSubtasks.taskId, task.id), eq(taskSubtasks.name, name), eq(taskSubtasks.state, "running")));
  }
  await addTaskEvent(tx, row, "error", message, hint);
}

async function succeedPass(tx: Tx, task: TaskRow, summary: string, bytesTotal: number, bytesSent: number) {
  const isSync = task.state === "SYNCING";
  let row = await applyTaskEvent(tx, task, isSync ? "syncDone" : "fullCopyDone", {
    verification: summary,
    bytesTotal,
    bytesDone: bytesTotal,
    bytesSent,
    rateBytesPerSecond: 0,
    finishedAt: new Date(),
    errorMessage: null,
  });
  if (isSync) await finishSubtask(tx, task.id, "sync", "succeeded");
  else {
    await finishSubtask(tx, task.id, "migrate_system_disk", "succeeded");
    const hasDataDisks = mappingOf(task).mode === "block" && (mappingOf(task) as { disks: unknown[] }).disks.length > 1;
    await finishSubtask(tx, task.id, "migrate_data_disks", hasDataDisks ? "succeeded" : "skipped");
    await finishSubtask(tx, task.id, "verify", "succeeded");
  }
  await addTaskEvent(tx, row, "info", `${isSync ? "Sync" : "Full migration"} complete and verified: ${summary}`);
  const shouldLaunch = isSync ? task.launchAfterSync : settingsOf(task).startTargetAfterMigration;
  if (shouldLaunch) {
    row = await applyTaskEvent(tx, row, "launch", { launchAfterSync: false });
    await queueLaunch(tx, row, null);
  }
}

async function finishAbort(tx: Tx, task: TaskRow) {
  const row = await applyTaskEvent(tx, task, "aborted", { rateBytesPerSecond: 0 });
  await addTaskEvent(tx, row, "warning", "The task was stopped.", "Start it again to resume from the last checkpoint.");
}

/** Asks the target agent to configure and start the migrated system. */
export async function queueLaunch(tx: Tx, task: TaskRow, userId: string | null) {
  const mapping = mappingOf(task);
  await startSubtask(tx, task.id, "configure_target");
  await updateSubtask(tx, task.id, "launch", { state: "running", startedAt: new Date() });
  // A server template may name the host; the launch sets it on the migrated system.
  let hostname: string | null = null;
  let network: { address: string; gateway: string; dns: string[] } | null = null;
  if (task.serverTemplateId) {
    const [template] = await tx.select({ settings: serverTemplates.settings }).from(serverTemplates).where(eq(serverTemplates.id, task.serverTemplateId));
    const settings = template ? serverSettingsSchema.safeParse(template.settings).data : undefined;
    hostname = settings?.hostname ?? null;
    if (settings?.network.mode === "static") network = { address: settings.network.address, gateway: settings.network.gateway, dns: settings.network.dns };
  }
  await queueTaskCommand(tx, task, task.targetServerId, "task_launch", {
    taskId: task.id,
    mode: task.mode,
    outDir: mapping.mode === "file" ? mapping.targetDir : null,
    hostname,
    network,
  }, userId);
  await addTaskEvent(tx, task, "info", "Launching the target server.");
}

/**
 * A progress report from the source agent during a pass. Not audited (it arrives every second);
 * the answer tells the agent whether to go on and the speed limit now in force.
 */
export async function recordTaskProgress(ctx: ServiceContext, input: TaskProgressRequest): Promise<TaskProgressResponse> {
  const data = taskProgressRequestSchema.parse(input);
  await assertCan(ctx, "sms:task:progress");
  const server = await findAgentServer(ctx.db, ctx.actor.accountId, data.agentId);
  const [task] = await ctx.db.select().from(tasks).where(and(eq(tasks.id, data.taskId), eq(tasks.accountId, ctx.actor.accountId)));
  if (!task || task.sourceServerId !== server.id) throw notFound("Migration task");
  const isLive = task.passId === data.passId && (task.state === "RUNNING" || task.state === "SYNCING");
  const limit = limitBytesPerSecondAt(settingsOf(task), new Date());
  if (!isLive) return { shouldContinue: false, limitBytesPerSecond: limit };
  await ctx.db.transaction(async (tx) => {
    await tx.insert(taskProgressSamples).values({
      accountId: task.accountId,
      taskId: task.id,
      passId: data.passId,
      bytesDone: data.bytesDone,
      bytesTotal: data.bytesTotal,
      bytesSent: data.bytesSent,
      rateBytesPerSecond: data.rateBytesPerSecond,
      detail: { phase: data.phase, disks: data.disks, host: data.host, agent: data.agent },
    });
    await tx
      .update(tasks)
      .set({ bytesDone: data.bytesDone, bytesTotal: data.bytesTotal, bytesSent: data.bytesSent, rateBytesPerSecond: data.rateBytesPerSecond, lastProgressAt: new Date() })
      .where(and(eq(tasks.id, task.id), eq(tasks.passId, data.passId)));
    if (task.state === "RUNNING") {
      const [system, ...rest] = data.disks;
      const percent = (done: number, total: number) => (total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0);
      if (task.mode === "file" || !system) {
        await updateSubtask(tx, task.id, "migrate_system_disk", { progressPercent: percent(data.bytesDone, data.bytesTotal) });
      } else {
        await updateSubtask(tx, task.id, "migrate_system_disk", { progressPercent: percent(system.bytesDone, system.bytesTotal) });
        if (rest.length) {
          const done = rest.reduce((n, d) => n + d.bytesDone, 0);
          const total = rest.reduce((n, d) => n + d.bytesTotal, 0);
          if (done > 0) await updateSubtask(tx, task.id, "migrate_data_disks", { state: "running", progressPercent: percent(done, total) });
        }
      }
      if (data.phase === "verify") await updateSubtask(tx, task.id, "verify", { state: "running" });
    } else {
      await updateSubtask(tx, task.id, "sync", { progressPercent: data.bytesTotal > 0 ? Math.min(100, Math.floor((data.bytesDone / data.bytesTotal) * 100)) : 0 });
    }
  });
  return { shouldContinue: true, limitBytesPerSecond: limit };
}
