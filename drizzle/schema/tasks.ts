import { sql } from "drizzle-orm";
import { bigint, boolean, doublePrecision, index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accountId } from "./accounts";
import { createdAt, id, timestamptz, updatedAt } from "./columns";
import { sourceServers } from "./servers";
import { migrationTemplates, serverTemplates } from "./templates";

export const taskState = pgEnum("task_state", [
  "READY",
  "RUNNING",
  "SYNCING",
  "MIGRATE_SUCCESS",
  "MIGRATE_FAIL",
  "ABORTING",
  "ABORT",
  "DELETING",
  "SYNC_F_ROLLBACKING",
  "SYNC_F_ROLLBACK_SUCCESS",
  "LAUNCHING",
  "LAUNCHED",
]);
export const migrationMode = pgEnum("migration_mode", ["block", "file"]);

/**
 * A migration task: one source server to one target server. `version` is an optimistic lock:
 * every change names the version it read, so two tabs or two console instances cannot both win.
 */
export const tasks = pgTable(
  "tasks",
  {
    id: id(),
    accountId: accountId(),
    name: text().notNull(),
    sourceServerId: uuid()
      .notNull()
      .references(() => sourceServers.id, { onDelete: "restrict" }),
    targetServerId: uuid()
      .notNull()
      .references(() => sourceServers.id, { onDelete: "restrict" }),
    mode: migrationMode().notNull(),
    state: taskState().notNull().default("READY"),
    version: integer().notNull().default(1),
    /** Options as validated by server/services/tasks/schemas.ts (limit, windows, compression, …). */
    settings: jsonb().notNull().$type<unknown>(),
    /** Source disk → target disk (block) or source root → target folder (file). */
    diskMapping: jsonb().notNull().$type<unknown>(),
    migrationTemplateId: uuid().references(() => migrationTemplates.id, { onDelete: "set null" }),
    serverTemplateId: uuid().references(() => serverTemplates.id, { onDelete: "set null" }),
    /** The pass in progress (full copy or a sync) and the target's address; its certificates are in task_certificates. */
    passId: uuid(),
    passTargetAddress: text(),
    passIsSync: boolean().notNull().default(false),
    /** Launch as soon as the current sync pass is verified (a final sync before the cut-over). */
    launchAfterSync: boolean().notNull().default(false),
    bytesTotal: bigint({ mode: "number" }).notNull().default(0),
    bytesDone: bigint({ mode: "number" }).notNull().default(0),
    bytesSent: bigint({ mode: "number" }).notNull().default(0),
    rateBytesPerSecond: doublePrecision().notNull().default(0),
    /** "verified N of N chunks" or the file consistency summary of the last successful pass. */
    verification: text(),
    errorMessage: text(),
    lastProgressAt: timestamptz(),
    startedAt: timestamptz(),
    finishedAt: timestamptz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("tasks_account_id_created_at_idx").on(t.accountId, t.createdAt),
    // One live task per source server.
    uniqueIndex("tasks_source_server_id_live_idx").on(t.sourceServerId).where(sql`${t.state} not in ('DELETING', 'LAUNCHED')`),
  ],
);

export const subtaskState = pgEnum("subtask_state", ["pending", "running", "succeeded", "failed", "skipped"]);

/** The steps of a task in order: check source, configure TLS, prepare target, migrate disks, verify, sync, configure, launch. */
export const taskSubtasks = pgTable(
  "task_subtasks",
  {
    id: id(),
    accountId: accountId(),
    taskId: uuid()
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    name: text().notNull(),
    position: integer().notNull(),
    state: subtaskState().notNull().default("pending"),
    progressPercent: integer().notNull().default(0),
    startedAt: timestamptz(),
    finishedAt: timestamptz(),
  },
  (t) => [uniqueIndex("task_subtasks_task_id_name_idx").on(t.taskId, t.name)],
);

/** One progress report of the source agent, kept for the charts. */
export const taskProgressSamples = pgTable(
  "task_progress_samples",
  {
    id: id(),
    accountId: accountId(),
    taskId: uuid()
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    passId: uuid().notNull(),
    at: createdAt(),
    bytesDone: bigint({ mode: "number" }).notNull(),
    bytesTotal: bigint({ mode: "number" }).notNull(),
    bytesSent: bigint({ mode: "number" }).notNull(),
    rateBytesPerSecond: doublePrecision().notNull(),
    /** { disks, host, agent } as reported (agent/src/protocol/v1/tasks.ts). */
    detail: jsonb().notNull().$type<unknown>(),
  },
  (t) => [index("task_progress_samples_task_id_at_idx").on(t.taskId, t.at)],
);

export const taskEventLevel = pgEnum("task_event_level", ["info", "warning", "error"]);

/** The task's timeline, in plain words, with what to do for errors. */
export const taskEvents = pgTable(
  "task_events",
  {
    id: id(),
    accountId: accountId(),
    taskId: uuid()
      .notNull()
      .references(() => tasks.id, { onDelete: "cascade" }),
    at: createdAt(),
    level: taskEventLevel().notNull(),
    message: text().notNull(),
    hint: text(),
  },
  (t) => [index("task_events_task_id_at_idx").on(t.taskId, t.at)],
);
