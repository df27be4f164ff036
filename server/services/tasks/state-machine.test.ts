import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allowedTaskEvents, migrationCycleOf, nextTaskState, TASK_EVENTS, TASK_STATES, type TaskEvent, type TaskState } from "./state-machine";

// Every legal transition, written out by hand from the SMS task lifecycle. Anything not listed
// must be refused: the table below and the implementation have to agree on all 12 × 11 pairs.
const LEGAL: [TaskState, TaskEvent, TaskState][] = [
  ["READY", "start", "RUNNING"],
  ["READY", "delete", "DELETING"],
  ["RUNNING", "fullCopyDone", "MIGRATE_SUCCESS"],
  ["RUNNING", "fail", "MIGRATE_FAIL"],
  ["RUNNING", "abort", "ABORTING"],
  ["SYNCING", "syncDone", "MIGRATE_SUCCESS"],
  ["SYNCING", "fail", "SYNC_F_ROLLBACKING"],
  ["SYNCING", "abort", "ABORTING"],
  ["MIGRATE_SUCCESS", "sync", "SYNCING"],
  ["MIGRATE_SUCCESS", "launch", "LAUNCHING"],
  ["MIGRATE_SUCCESS", "delete", "DELETING"],
  ["MIGRATE_FAIL", "start", "RUNNING"],
  ["MIGRATE_FAIL", "delete", "DELETING"],
  ["ABORTING", "aborted", "ABORT"],
  ["ABORTING", "fail", "ABORT"],
  ["ABORT", "start", "RUNNING"],
  ["ABORT", "delete", "DELETING"],
  ["SYNC_F_ROLLBACKING", "rolledBack", "SYNC_F_ROLLBACK_SUCCESS"],
  ["SYNC_F_ROLLBACKING", "fail", "MIGRATE_FAIL"],
  ["SYNC_F_ROLLBACK_SUCCESS", "sync", "SYNCING"],
  ["SYNC_F_ROLLBACK_SUCCESS", "launch", "LAUNCHING"],
  ["SYNC_F_ROLLBACK_SUCCESS", "delete", "DELETING"],
  ["LAUNCHING", "launched", "LAUNCHED"],
  ["LAUNCHING", "fail", "MIGRATE_SUCCESS"],
  ["LAUNCHED", "delete", "DELETING"],
];

describe("task state machine", () => {
  it("allows exactly the legal transitions and refuses every other pair with a reason", () => {
    for (const state of TASK_STATES) {
      for (const event of TASK_EVENTS) {
        const legal = LEGAL.find(([s, e]) => s === state && e === event);
        const result = nextTaskState(state, event);
        if (legal) expect(result, `${state} --${event}`).toEqual({ ok: true, state: legal[2] });
        else {
          expect(result.ok, `${state} --${event} should be refused`).toBe(false);
          if (!result.ok) expect(result.reason).toContain(state);
        }
      }
    }
  });

  it("never lets a running task be deleted or launched", () => {
    for (const state of ["RUNNING", "SYNCING", "ABORTING", "LAUNCHING"] as const) {
      expect(nextTaskState(state, "delete").ok).toBe(false);
    }
    expect(nextTaskState("RUNNING", "launch").ok).toBe(false);
  });

  it("reaches LAUNCHED only through a successful migration, whatever events arrive", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TASK_EVENTS), { maxLength: 40 }), (events) => {
        let state: TaskState = "READY";
        let hasSucceeded = false;
        for (const event of events) {
          const result = nextTaskState(state, event);
          if (!result.ok) continue;
          if (result.state === "LAUNCHING") expect(hasSucceeded).toBe(true);
          if (result.state === "MIGRATE_SUCCESS") hasSucceeded = true;
          if (result.state === "RUNNING") hasSucceeded = false;
          state = result.state;
        }
      }),
    );
  });

  it("lists the events allowed in a state for the UI", () => {
    expect(allowedTaskEvents("MIGRATE_SUCCESS").sort()).toEqual(["delete", "launch", "sync"]);
    expect(allowedTaskEvents("DELETING")).toEqual([]);
  });

  it("derives the source server's migration cycle from its task", () => {
    expect(migrationCycleOf(null)).toBe("checking");
    expect(migrationCycleOf("READY")).toBe("setting");
    expect(migrationCycleOf("RUNNING")).toBe("replicating");
    expect(migrationCycleOf("MIGRATE_SUCCESS")).toBe("syncing");
    expect(migrationCycleOf("LAUNCHING")).toBe("cutovering");
    expect(migrationCycleOf("LAUNCHED")).toBe("cutovered");
  });
});
