import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { tasks } from "@/drizzle/schema";
import type { Db } from "../../db";
import { getEnv } from "../../env";
import { beginPass } from "./passes";
import { addTaskEvent, applyTaskEvent, settingsOf } from "./records";

/**
 * Continuous sync: a block-level task that asked for it starts its next incremental pass once the
 * interval has passed since the last one finished, until it is stopped or launched. Driven by the
 * source agent's heartbeats, so no console instance needs a timer of its own.
 */
export async function startDueContinuousSyncs(db: Db, accountId: string, sourceServerId: string, now = new Date()) {
  const dueBefore = new Date(now.getTime() - getEnv().FERRY_CONTINUOUS_SYNC_INTERVAL_SECONDS * 1000);
  const due = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(
      and(
        eq(tasks.accountId, accountId),
        eq(tasks.sourceServerId, sourceServerId),
        inArray(tasks.state, ["MIGRATE_SUCCESS", "SYNC_F_ROLLBACK_SUCCESS"]),
        sql`(${tasks.settings}->>'continuousSync')::boolean`,
        lt(tasks.finishedAt, sql`${dueBefore.toISOString()}::timestamptz`),
      ),
    );
  for (const { id } of due) {
    await db.transaction(async (tx) => {
      const [task] = await tx.select().from(tasks).where(eq(tasks.id, id)).for("update", { skipLocked: true });
      if (!task || !settingsOf(task).continuousSync) return;
      if (task.state !== "MIGRATE_SUCCESS" && task.state !== "SYNC_F_ROLLBACK_SUCCESS") return;
      if (!task.finishedAt || task.finishedAt >= dueBefore) return;
      const row = await applyTaskEvent(tx, task, "sync");
      await addTaskEvent(tx, row, "info", "Continuous sync: the next incremental pass starts.");
      await beginPass(tx, row, true, null);
    });
  }
}
