/**
 * A migration task's life, with Huawei SMS's state names. Every transition in Ferry goes through
 * `nextTaskState`: an event that is not legal in the current state is refused with a reason the
 * user can act on.
 */
export const TASK_STATES = [
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
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TASK_EVENTS = [
  /** The user starts (or restarts after a failure or an abort) the full migration. */
  "start",
  /** The agents finished the full copy and it verified. */
  "fullCopyDone",
  /** The user asks for an incremental sync, or continuous sync begins a pass. */
  "sync",
  /** A sync pass finished and verified. */
  "syncDone",
  /** The agents report a failure, or stopped reporting. */
  "fail",
  /** The user stops a running migration or sync. */
  "abort",
  /** The agents confirmed they stopped. */
  "aborted",
  /** A failed sync was rolled back to the last good pass on the target. */
  "rolledBack",
  /** The user launches the target server. */
  "launch",
  /** The target server came up. */
  "launched",
  /** The user deletes the task. */
  "delete",
] as const;
export type TaskEvent = (typeof TASK_EVENTS)[number];

const TRANSITIONS: Record<TaskState, Partial<Record<TaskEvent, TaskState>>> = {
  READY: { start: "RUNNING", delete: "DELETING" },
  RUNNING: { fullCopyDone: "MIGRATE_SUCCESS", fail: "MIGRATE_FAIL", abort: "ABORTING" },
  SYNCING: { syncDone: "MIGRATE_SUCCESS", fail: "SYNC_F_ROLLBACKING", abort: "ABORTING" },
  MIGRATE_SUCCESS: { sync: "SYNCING", launch: "LAUNCHING", delete: "DELETING" },
  MIGRATE_FAIL: { start: "RUNNING", delete: "DELETING" },
  ABORTING: { aborted: "ABORT", fail: "ABORT" },
  ABORT: { start: "RUNNING", delete: "DELETING" },
  DELETING: {},
  SYNC_F_ROLLBACKING: { rolledBack: "SYNC_F_ROLLBACK_SUCCESS", fail: "MIGRATE_FAIL" },
  SYNC_F_ROLLBACK_SUCCESS: { sync: "SYNCING", launch: "LAUNCHING", delete: "DELETING" },
  // A failed launch leaves the migrated data as it was: the user may sync again or retry.
  LAUNCHING: { launched: "LAUNCHED", fail: "MIGRATE_SUCCESS" },
  LAUNCHED: { delete: "DELETING" },
};

const WHY_NOT: Partial<Record<TaskEvent, string>> = {
  start: "Only a task that is ready, failed or stopped can be started.",
  sync: "Only a task whose full migration succeeded can sync.",
  launch: "The target server can be launched only after the migration succeeded.",
  abort: "Only a running migration or sync can be stopped.",
  delete: "Stop the task first: a running task cannot be deleted.",
};

export type TransitionResult = { ok: true; state: TaskState } | { ok: false; reason: string };

export function nextTaskState(state: TaskState, event: TaskEvent): TransitionResult {
  const next = TRANSITIONS[state][event];
  if (next) return { ok: true, state: next };
  return { ok: false, reason: `${WHY_NOT[event] ?? `"${event}" does not apply now.`} (The task is ${state}.)` };
}

export function allowedTaskEvents(state: TaskState): TaskEvent[] {
  return TASK_EVENTS.filter((event) => TRANSITIONS[state][event] !== undefined);
}

/** States in which agents are working and must keep reporting. */
export const ACTIVE_TASK_STATES: readonly TaskState[] = ["RUNNING", "SYNCING", "ABORTING", "SYNC_F_ROLLBACKING", "LAUNCHING"];

/** The source server's migration cycle, as SMS shows it, derived from its task's state. */
export type MigrationCycle = "checking" | "setting" | "replicating" | "syncing" | "cutovering" | "cutovered";

export function migrationCycleOf(state: TaskState | null): MigrationCycle {
  switch (state) {
    case null:
      return "checking";
    case "READY":
    case "MIGRATE_FAIL":
    case "ABORT":
    case "ABORTING":
    case "DELETING":
      return "setting";
    case "RUNNING":
      return "replicating";
    case "SYNCING":
    case "MIGRATE_SUCCESS":
    case "SYNC_F_ROLLBACKING":
    case "SYNC_F_ROLLBACK_SUCCESS":
      return "syncing";
    case "LAUNCHING":
      return "cutovering";
    case "LAUNCHED":
      return "cutovered";
  }
}
