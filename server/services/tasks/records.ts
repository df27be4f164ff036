import { and, eq } from "drizzle-orm";
import { sourceCommands, sourceServers, taskEvents, tasks } from "@/drizzle/schema";
import type { TargetCapabilities } from "@/agent/src/protocol/v1/register";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import type { TaskCommandType } from "@/agent/src/protocol/v1/tasks";
import type { Db, Tx } from "../../db";
import { conflict, notFound } from "../../errors";
import { migrationSettingsSchema, type MigrationSettings } from "../templates/schemas";
import { nextTaskState, type TaskEvent } from "./state-machine";

export type TaskRow = typeof tasks.$inferSelect;

/** File level onto the target's disks: a target disk per source disk, prepared like it. */
export type TargetPreparationChoice = { disks: { sourceDisk: string; targetDisk: string }[]; isSameUuids: boolean };

/** What a task maps: block disks, or a source folder to a target folder or onto prepared target disks (targetDir null). */
export type DiskMapping =
  | { mode: "block"; disks: { sourceDisk: string; targetDisk: string }[] }
  | { mode: "file"; sourceRoot: string; targetDir: string | null; prepare?: TargetPreparationChoice };

export function settingsOf(task: TaskRow): MigrationSettings {
  return migrationSettingsSchema.parse(task.settings);
}

export function mappingOf(task: TaskRow): DiskMapping {
  return task.diskMapping as DiskMapping;
}

/** The task, locked for this transaction, within the caller's account. */
export async function lockTask(tx: Tx, accountId: string, taskId: string): Promise<TaskRow> {
  const [task] = await tx.select().from(tasks).where(and(eq(tasks.id, taskId), eq(tasks.accountId, accountId))).for("update");
  if (!task) throw notFound("Migration task");
  return task;
}

/**
 * Moves the task by an event, through the state machine, as an optimistic update on the version
 * the caller read: a concurrent change from another tab or console instance makes this a CONFLICT.
 */
export async function applyTaskEvent(
  tx: Tx,
  task: TaskRow,
  event: TaskEvent,
  patch: Partial<typeof tasks.$inferInsert> = {},
  expectedVersion = task.version,
): Promise<TaskRow> {
  if (expectedVersion !== task.version) {
    throw conflict("The task changed since you loaded it (another tab, user or agent). Look at its new state and try again.");
  }
  const next = nextTaskState(task.state, event);
  if (!next.ok) throw conflict(next.reason);
  const [row] = await tx
    .update(tasks)
    .set({ ...patch, state: next.state, version: task.version + 1, updatedAt: new Date() })
    .where(and(eq(tasks.id, task.id), eq(tasks.version, task.version)))
    .returning();
  if (!row) throw conflict("The task changed while this was applied. Look at its new state and try again.");
  return row;
}

export async function addTaskEvent(tx: Tx, task: TaskRow, level: "info" | "warning" | "error", message: string, hint?: string) {
  await tx.insert(taskEvents).values({ accountId: task.accountId, taskId: task.id, level, message, hint: hint ?? null });
}

export async function queueTaskCommand(tx: Tx, task: TaskRow, serverId: string, type: TaskCommandType, payload: Record<string, unknown>, createdBy: string | null) {
  await tx.insert(sourceCommands).values({ accountId: task.accountId, serverId, type, payload, createdBy });
}

export type ServerRow = typeof sourceServers.$inferSelect;

export async function loadServer(tx: Tx | Db, accountId: string, serverId: string, role: "source" | "target"): Promise<ServerRow> {
  const [row] = await tx
    .select()
    .from(sourceServers)
    .where(and(eq(sourceServers.id, serverId), eq(sourceServers.accountId, accountId), eq(sourceServers.role, role)));
  if (!row) throw notFound(role === "source" ? "Source server" : "Target server");
  return row;
}

export const reportOf = (server: ServerRow) => server.report as SourceReport;
export const capabilitiesOf = (server: ServerRow) => server.targetCapabilities as TargetCapabilities | null;
