import { eq } from "drizzle-orm";
import { tasks } from "@/drizzle/schema";
import type { Tx } from "../../db";
import { badRequest, conflict } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { queueLaunch } from "./agent-reports";
import { assertSourceReady, assertTargetReady } from "./readiness";
import { beginPass } from "./passes";
import { addTaskEvent, applyTaskEvent, loadServer, lockTask, queueTaskCommand, settingsOf, type TaskRow } from "./records";
import { launchTaskSchema, setContinuousSyncSchema, setTaskLimitSchema, taskActionSchema } from "./schemas";

type TaskAction = { taskId: string; version: number };

/** Start (or restart after a failure or a stop): checks both agents, then begins the full pass. */
export async function startTaskInTx(tx: Tx, ctx: ServiceContext, task: TaskRow, version: number): Promise<TaskRow> {
  const source = await loadServer(tx, ctx.actor.accountId, task.sourceServerId, "source");
  const target = await loadServer(tx, ctx.actor.accountId, task.targetServerId, "target");
  assertSourceReady(source, task.mode);
  assertTargetReady(target);
  const row = await applyTaskEvent(tx, task, "start", {}, version);
  return beginPass(tx, row, false, ctx.actor.userId);
}

function runTaskAction(ctx: ServiceContext, input: TaskAction, action: "sms:task:start" | "sms:task:sync" | "sms:task:stop" | "sms:task:launch", run: (tx: Tx, task: TaskRow, version: number) => Promise<TaskRow>) {
  const { taskId, version } = taskActionSchema.parse(input);
  return audited(ctx, { action, resourceType: "task", resourceId: taskId }, async (tx) => {
    const task = await lockTask(tx, ctx.actor.accountId, taskId);
    const row = await run(tx, task, version);
    return { value: { id: row.id, state: row.state, version: row.version }, resourceName: row.name };
  });
}

export function startTask(ctx: ServiceContext, input: TaskAction) {
  return runTaskAction(ctx, input, "sms:task:start", (tx, task, version) => startTaskInTx(tx, ctx, task, version));
}

/** An incremental sync: only what changed since the last verified pass is sent. */
export function syncTask(ctx: ServiceContext, input: TaskAction) {
  return runTaskAction(ctx, input, "sms:task:sync", async (tx, task, version) => {
    const source = await loadServer(tx, ctx.actor.accountId, task.sourceServerId, "source");
    const target = await loadServer(tx, ctx.actor.accountId, task.targetServerId, "target");
    assertSourceReady(source, task.mode);
    assertTargetReady(target);
    const row = await applyTaskEvent(tx, task, "sync", {}, version);
    return beginPass(tx, row, true, ctx.actor.userId);
  });
}

/** Stops a running migration or sync: both agents are told to stop this pass. */
export function stopTask(ctx: ServiceContext, input: TaskAction) {
  return runTaskAction(ctx, input, "sms:task:stop", async (tx, task, version) => {
    const row = await applyTaskEvent(tx, task, "abort", { launchAfterSync: false }, version);
    const payload = { taskId: task.id, passId: task.passId };
    await queueTaskCommand(tx, row, task.sourceServerId, "task_abort", payload, ctx.actor.userId);
    await queueTaskCommand(tx, row, task.targetServerId, "task_abort", payload, ctx.actor.userId);
    await addTaskEvent(tx, row, "warning", "Stopping: the agents were asked to stop the copy.");
    return row;
  });
}

/**
 * Cut-over: the target server is configured and started from the migrated data. With finalSync,
 * one last incremental pass runs first and the launch follows once it is verified.
 */
export function launchTask(ctx: ServiceContext, input: TaskAction & { finalSync?: boolean }) {
  const { finalSync } = launchTaskSchema.parse(input);
  return runTaskAction(ctx, input, "sms:task:launch", async (tx, task, version) => {
    const target = await loadServer(tx, ctx.actor.accountId, task.targetServerId, "target");
    assertTargetReady(target);
    if (finalSync) {
      const source = await loadServer(tx, ctx.actor.accountId, task.sourceServerId, "source");
      assertSourceReady(source, task.mode);
      const row = await applyTaskEvent(tx, task, "sync", { launchAfterSync: true }, version);
      await addTaskEvent(tx, row, "info", "Final sync before the launch: the target is launched once this pass is verified.");
      return beginPass(tx, row, true, ctx.actor.userId);
    }
    const row = await applyTaskEvent(tx, task, "launch", {}, version);
    await queueLaunch(tx, row, ctx.actor.userId);
    return row;
  });
}

export function deleteTask(ctx: ServiceContext, input: TaskAction) {
  const { taskId, version } = taskActionSchema.parse(input);
  return audited(ctx, { action: "sms:task:delete", resourceType: "task", resourceId: taskId }, async (tx) => {
    const task = await lockTask(tx, ctx.actor.accountId, taskId);
    await applyTaskEvent(tx, task, "delete", {}, version);
    // The target drops this task's staging (checkpoints, pass records); the migrated data stays.
    await queueTaskCommand(tx, task, task.targetServerId, "task_cleanup", { taskId: task.id }, ctx.actor.userId);
    await tx.delete(tasks).where(eq(tasks.id, task.id));
    return { value: { id: task.id }, resourceName: task.name };
  });
}

/** Changes the speed limit, also while a pass runs: the source agent gets it with its next progress answer. */
export function setTaskSpeedLimit(ctx: ServiceContext, input: TaskAction & { limitMbps: number | null }) {
  const data = setTaskLimitSchema.parse(input);
  return audited(ctx, { action: "sms:task:update", resourceType: "task", resourceId: data.taskId, details: { limitMbps: data.limitMbps } }, async (tx) => {
    const task = await lockTask(tx, ctx.actor.accountId, data.taskId);
    if (task.version !== data.version) {
      throw conflict("The task changed since you loaded it. Look at its new state and try again.");
    }
    const settings = { ...settingsOf(task), limitMbps: data.limitMbps };
    const [row] = await tx.update(tasks).set({ settings, version: task.version + 1, updatedAt: new Date() }).where(eq(tasks.id, task.id)).returning();
    await addTaskEvent(tx, row!, "info", data.limitMbps === null ? "Speed limit removed." : `Speed limit set to ${data.limitMbps} Mbit/s.`);
    return { value: { id: row!.id, version: row!.version }, resourceName: row!.name };
  });
}

/** Turns continuous sync on or off (block level only, as with SMS); it takes effect after the current pass. */
export function setTaskContinuousSync(ctx: ServiceContext, input: TaskAction & { isOn: boolean }) {
  const data = setContinuousSyncSchema.parse(input);
  return audited(ctx, { action: "sms:task:update", resourceType: "task", resourceId: data.taskId, details: { continuousSync: data.isOn } }, async (tx) => {
    const task = await lockTask(tx, ctx.actor.accountId, data.taskId);
    if (task.version !== data.version) throw conflict("The task changed since you loaded it. Look at its new state and try again.");
    if (data.isOn && task.mode !== "block") throw badRequest("Continuous sync is not available for file-level migration (as with SMS); run syncs by hand.");
    const settings = { ...settingsOf(task), continuousSync: data.isOn };
    const [row] = await tx.update(tasks).set({ settings, version: task.version + 1, updatedAt: new Date() }).where(eq(tasks.id, task.id)).returning();
    await addTaskEvent(tx, row!, "info", data.isOn ? "Continuous sync turned on." : "Continuous sync turned off.");
    return { value: { id: row!.id, version: row!.version }, resourceName: row!.name };
  });
}
