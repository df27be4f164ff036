import { and, eq } from "drizzle-orm";
import { taskSubtasks } from "@/drizzle/schema";
import type { Tx } from "../../db";

/** A task's steps, in the order SMS shows them. */
export const SUBTASKS = [
  { name: "check_source", title: "Check source" },
  { name: "configure_tls", title: "Configure TLS" },
  { name: "prepare_target", title: "Prepare target" },
  { name: "migrate_system_disk", title: "Migrate system disk" },
  { name: "migrate_data_disks", title: "Migrate data disks" },
  { name: "verify", title: "Verify" },
  { name: "sync", title: "Synchronize" },
  { name: "configure_target", title: "Configure target" },
  { name: "launch", title: "Launch" },
] as const;
export type SubtaskName = (typeof SUBTASKS)[number]["name"];

export async function createSubtasks(tx: Tx, accountId: string, taskId: string) {
  await tx.insert(taskSubtasks).values(SUBTASKS.map((s, position) => ({ accountId, taskId, name: s.name, position })));
}

type SubtaskPatch = Partial<Pick<typeof taskSubtasks.$inferInsert, "state" | "progressPercent" | "startedAt" | "finishedAt">>;

export async function updateSubtask(tx: Tx, taskId: string, name: SubtaskName, patch: SubtaskPatch) {
  await tx.update(taskSubtasks).set(patch).where(and(eq(taskSubtasks.taskId, taskId), eq(taskSubtasks.name, name)));
}

export async function startSubtask(tx: Tx, taskId: string, name: SubtaskName, now = new Date()) {
  await updateSubtask(tx, taskId, name, { state: "running", progressPercent: 0, startedAt: now, finishedAt: null });
}

export async function finishSubtask(tx: Tx, taskId: string, name: SubtaskName, state: "succeeded" | "failed" | "skipped", now = new Date()) {
  await updateSubtask(tx, taskId, name, { state, ...(state === "succeeded" ? { progressPercent: 100 } : {}), finishedAt: now });
}
