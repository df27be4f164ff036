import { aliasedTable, and, asc, desc, eq, gte, ilike, inArray, lt, notExists, or, sql } from "drizzle-orm";
import { sourceCommands, sourceServers, taskEvents, taskProgressSamples, taskSubtasks, tasks } from "@/drizzle/schema";
import { assertCan } from "../../authz/assert-can";
import type { Db } from "../../db";
import { notFound } from "../../errors";
import type { ServiceContext } from "../context";
import { heartbeatIntervalSeconds } from "../servers/connection";
import { addTaskEvent, applyTaskEvent, mappingOf, settingsOf, type TaskRow } from "./records";
import { listTasksSchema, taskIdSchema } from "./schemas";
import { ACTIVE_TASK_STATES, allowedTaskEvents, type TaskState } from "./state-machine";
import { SUBTASKS } from "./subtasks";

const sourceAlias = aliasedTable(sourceServers, "source");
const targetAlias = aliasedTable(sourceServers, "target");

/** A pass whose agents said nothing for this long is not running any more. */
export function staleAfterMs(): number {
  return Math.max(60_000, 6 * heartbeatIntervalSeconds() * 1000);
}

/**
 * How long an agent may work on a task command without a progress report (preparing a target's
 * disks: partitioning, and mkfs with a discard of a large disk) while it sends heartbeats.
 */
export const COMMAND_WORK_MS = 30 * 60_000;

/** The task commands an agent runs to their end before it answers; task_send reports progress instead. */
const FOREGROUND_TASK_COMMANDS = ["task_receive", "task_launch", "task_cleanup"] as const;

/**
 * Tasks whose agents stopped reporting are marked failed (or stopped), so nothing shows RUNNING
 * for ever. Run on every read: console instances keep no timers, and any of them may find it.
 * A task an agent is still working on (a command of it acknowledged less than COMMAND_WORK_MS ago,
 * by an agent whose heartbeats still come) is not stale.
 */
export async function settleStaleTasks(db: Db, accountId: string, now = new Date()) {
  const cutoff = new Date(now.getTime() - staleAfterMs());
  const working = db
    .select({ id: sourceCommands.id })
    .from(sourceCommands)
    .innerJoin(sourceServers, eq(sourceServers.id, sourceCommands.serverId))
    .where(
      and(
        eq(sourceCommands.accountId, accountId),
        eq(sourceCommands.state, "acked"),
        inArray(sourceCommands.type, [...FOREGROUND_TASK_COMMANDS]),
        sql`${sourceCommands.payload}->>'taskId' = ${tasks.id}::text`,
        gte(sourceCommands.ackedAt, new Date(now.getTime() - COMMAND_WORK_MS)),
        gte(sourceServers.lastHeartbeatAt, cutoff),
      ),
    );
  const stale = await db
    .select({ id: tasks.id })
    .from(tasks)
    .where(
      and(
        eq(tasks.accountId, accountId),
        inArray(tasks.state, [...ACTIVE_TASK_STATES]),
        // postgres.js takes no Date inside raw SQL; the ISO string is cast instead.
        lt(sql`greatest(${tasks.updatedAt}, coalesce(${tasks.lastProgressAt}, ${tasks.updatedAt}))`, sql`${cutoff.toISOString()}::timestamptz`),
        notExists(working),
      ),
    );
  for (const { id } of stale) {
    await db.transaction(async (tx) => {
      const [task] = await tx.select().from(tasks).where(eq(tasks.id, id)).for("update", { skipLocked: true });
      if (!task || !ACTIVE_TASK_STATES.includes(task.state)) return;
      const lastWord = greatest(task.updatedAt, task.lastProgressAt);
      if (lastWord >= cutoff) return;
      let row = await applyTaskEvent(tx, task, "fail", {
        errorMessage: "The agents stopped reporting.",
        rateBytesPerSecond: 0,
        launchAfterSync: false,
      });
      if (row.state === "SYNC_F_ROLLBACKING") row = await applyTaskEvent(tx, row, "fail");
      await addTaskEvent(
        tx,
        row,
        "error",
        `Nothing was heard from the agents for ${Math.round(staleAfterMs() / 1000)} seconds while the task was ${task.state}.`,
        "Check that both agents run (Source servers and Target servers pages), then start the task again: the copy resumes from its last checkpoint.",
      );
    });
  }
}

function greatest(a: Date, b: Date | null): Date {
  return b && b > a ? b : a;
}

export type TaskSummaryDto = {
  id: string;
  name: string;
  state: TaskState;
  version: number;
  mode: "block" | "file";
  source: { id: string; hostname: string };
  target: { id: string; hostname: string };
  progressPercent: number;
  bytesDone: number;
  bytesTotal: number;
  rateBytesPerSecond: number;
  secondsLeft: number | null;
  isSyncPass: boolean;
  verification: string | null;
  errorMessage: string | null;
  allowedEvents: string[];
  createdAt: Date;
  updatedAt: Date;
};

function toSummary(row: { task: TaskRow; sourceName: string; targetName: string }): TaskSummaryDto {
  const t = row.task;
  const percent = t.bytesTotal > 0 ? Math.min(100, Math.floor((t.bytesDone / t.bytesTotal) * 100)) : t.state === "MIGRATE_SUCCESS" || t.state === "LAUNCHED" ? 100 : 0;
  const isActive = t.state === "RUNNING" || t.state === "SYNCING";
  return {
    id: t.id,
    name: t.name,
    state: t.state,
    version: t.version,
    mode: t.mode,
    source: { id: t.sourceServerId, hostname: row.sourceName },
    target: { id: t.targetServerId, hostname: row.targetName },
    progressPercent: percent,
    bytesDone: t.bytesDone,
    bytesTotal: t.bytesTotal,
    rateBytesPerSecond: isActive ? t.rateBytesPerSecond : 0,
    secondsLeft: isActive && t.rateBytesPerSecond > 0 ? Math.ceil((t.bytesTotal - t.bytesDone) / t.rateBytesPerSecond) : null,
    isSyncPass: t.passIsSync,
    verification: t.verification,
    errorMessage: t.errorMessage,
    allowedEvents: allowedTaskEvents(t.state),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

function selectTasks(db: Db) {
  return db
    .select({ task: tasks, sourceName: sourceAlias.hostname, targetName: targetAlias.hostname })
    .from(tasks)
    .innerJoin(sourceAlias, eq(sourceAlias.id, tasks.sourceServerId))
    .innerJoin(targetAlias, eq(targetAlias.id, tasks.targetServerId));
}

export async function listTasks(ctx: ServiceContext, input?: { state?: string; search?: string }): Promise<TaskSummaryDto[]> {
  const f = listTasksSchema.parse(input ?? {});
  await assertCan(ctx, "sms:task:list");
  await settleStaleTasks(ctx.db, ctx.actor.accountId);
  const where = [eq(tasks.accountId, ctx.actor.accountId)];
  if (f.state) where.push(eq(tasks.state, f.state as TaskState));
  if (f.search) {
    const pattern = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(or(ilike(tasks.name, pattern), ilike(sourceAlias.hostname, pattern), ilike(targetAlias.hostname, pattern))!);
  }
  const rows = await selectTasks(ctx.db).where(and(...where)).orderBy(desc(tasks.createdAt)).limit(500);
  return rows.map(toSummary);
}

export async function getTask(ctx: ServiceContext, input: { taskId: string }) {
  const { taskId } = taskIdSchema.parse(input);
  await assertCan(ctx, "sms:task:get");
  await settleStaleTasks(ctx.db, ctx.actor.accountId);
  const [row] = await selectTasks(ctx.db).where(and(eq(tasks.id, taskId), eq(tasks.accountId, ctx.actor.accountId)));
  if (!row) throw notFound("Migration task");
  const [subtasks, events, samples] = await Promise.all([
    ctx.db.select().from(taskSubtasks).where(eq(taskSubtasks.taskId, taskId)).orderBy(asc(taskSubtasks.position)),
    ctx.db.select().from(taskEvents).where(eq(taskEvents.taskId, taskId)).orderBy(desc(taskEvents.at)).limit(200),
    row.task.passId
      ? ctx.db
          .select()
          .from(taskProgressSamples)
          .where(and(eq(taskProgressSamples.taskId, taskId), eq(taskProgressSamples.passId, row.task.passId)))
          .orderBy(desc(taskProgressSamples.at))
          .limit(600)
      : Promise.resolve([]),
  ]);
  const settings = settingsOf(row.task);
  return {
    ...toSummary(row),
    settings,
    mapping: mappingOf(row.task),
    bytesSent: row.task.bytesSent,
    startedAt: row.task.startedAt,
    finishedAt: row.task.finishedAt,
    lastProgressAt: row.task.lastProgressAt,
    subtasks: subtasks.map((s) => ({
      name: s.name,
      title: SUBTASKS.find((d) => d.name === s.name)?.title ?? s.name,
      state: s.state,
      progressPercent: s.progressPercent,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
    })),
    events: events.map((e) => ({ id: e.id, at: e.at, level: e.level, message: e.message, hint: e.hint })),
    samples: samples.reverse().map((s) => {
      const detail = s.detail as { phase?: string; disks?: { name: string; bytesDone: number; bytesTotal: number }[]; host?: Record<string, number>; agent?: Record<string, number> };
      return {
        at: s.at,
        bytesDone: s.bytesDone,
        bytesTotal: s.bytesTotal,
        bytesSent: s.bytesSent,
        rateBytesPerSecond: s.rateBytesPerSecond,
        compressionRatio: s.bytesSent > 0 ? s.bytesDone / s.bytesSent : 1,
        disks: detail.disks ?? [],
        host: detail.host ?? null,
        agent: detail.agent ?? null,
      };
    }),
  };
}
