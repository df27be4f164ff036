"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { isConflict } from "@/components/iam/query-state";
import { useAllowedActions } from "@/components/iam/use-allowed-actions";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { ActionButton } from "@/components/ui/action-button";
import { Button } from "@/components/ui/button";
import { CheckboxField } from "@/components/ui/checkbox";
import { ConfirmDialog } from "@/components/ui/confirm";
import type { Action } from "@/server/authz/actions";
import { nextTaskState, type TaskEvent, type TaskState } from "@/server/services/tasks/state-machine";

type TaskActionKind = "start" | "sync" | "stop" | "launch" | "delete";

const ACTIONS: { kind: TaskActionKind; event: TaskEvent; action: Action; label: string; variant: "primary" | "secondary" | "danger"; confirm?: { title: string; body: string; label: string } }[] = [
  { kind: "start", event: "start", action: "sms:task:start", label: "Start", variant: "primary" },
  { kind: "sync", event: "sync", action: "sms:task:sync", label: "Sync", variant: "secondary" },
  {
    kind: "stop",
    event: "abort",
    action: "sms:task:stop",
    label: "Stop",
    variant: "secondary",
    confirm: { title: "Stop this task?", body: "The agents stop the copy. Starting again later resumes from the last checkpoint.", label: "Stop task" },
  },
  {
    kind: "launch",
    event: "launch",
    action: "sms:task:launch",
    label: "Launch target server",
    variant: "primary",
    confirm: {
      title: "Launch the target server?",
      body: "The target is configured and started from the migrated data. Changes made on the source after the last sync will not be carried over: stop the source's services and sync first if they matter.",
      label: "Launch target server",
    },
  },
  {
    kind: "delete",
    event: "delete",
    action: "sms:task:delete",
    label: "Delete",
    variant: "danger",
    confirm: { title: "Delete this task?", body: "The task, its progress and its history are removed. Data already written on the target stays there.", label: "Delete task" },
  },
];

/** The task's actions: usable when the state allows them and the user may; otherwise they say why not. */
export function TaskActions({
  task,
  onNotice,
  onError,
}: {
  task: { id: string; name: string; state: TaskState; version: number; allowedEvents: string[]; mode: "block" | "file"; settings: { continuousSync: boolean } };
  onNotice: (message: string) => void;
  onError: (message: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const { can, isLoading } = useAllowedActions();
  const [confirming, setConfirming] = useState<TaskActionKind | null>(null);
  const [confirmError, setConfirmError] = useState<string | null>(null);
  const [isFinalSync, setIsFinalSync] = useState(false);

  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tasks.get.queryKey({ taskId: task.id }) });
  const handlers = (kind: TaskActionKind, done: string) => ({
    onSuccess: async () => {
      setConfirming(null);
      onNotice(done);
      await refresh();
    },
    onError: async (e: unknown) => {
      const message = errorMessage(e);
      if (confirming === kind) setConfirmError(message);
      else onError(message);
      // Someone else changed the task: show what it is now.
      if (isConflict(e)) await refresh();
    },
  });
  const start = useMutation(trpc.tasks.start.mutationOptions(handlers("start", "Started: the agents are preparing the copy.")));
  const sync = useMutation(trpc.tasks.sync.mutationOptions(handlers("sync", "Sync started: only changes since the last pass are sent.")));
  const stop = useMutation(trpc.tasks.stop.mutationOptions(handlers("stop", "Stopping: the agents were asked to stop.")));
  const launch = useMutation(
    trpc.tasks.launch.mutationOptions(handlers("launch", isFinalSync ? "Final sync started; the target is launched once it is verified." : "Launching the target server.")),
  );
  const continuous = useMutation(
    trpc.tasks.setContinuousSync.mutationOptions({
      onSuccess: async (_data, input) => {
        onNotice(input.isOn ? "Continuous sync is on: after each verified pass, the next one starts on its own." : "Continuous sync is off.");
        await refresh();
      },
      onError: async (e) => {
        onError(errorMessage(e));
        if (isConflict(e)) await refresh();
      },
    }),
  );
  const remove = useMutation(
    trpc.tasks.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.tasks.list.queryKey() });
        router.push("/tasks");
      },
      onError: handlers("delete", "").onError,
    }),
  );
  const mutations = { start, sync, stop, launch, delete: remove };

  function run(kind: TaskActionKind) {
    // The version shown is the one acted on: a task changed meanwhile answers CONFLICT.
    if (kind === "launch") launch.mutate({ taskId: task.id, version: task.version, finalSync: isFinalSync });
    else mutations[kind].mutate({ taskId: task.id, version: task.version });
  }

  const current = ACTIONS.find((a) => a.kind === confirming);
  return (
    <>
      {ACTIONS.map((a) => {
        const transition = nextTaskState(task.state, a.event);
        const reason = isLoading
          ? "Checking your permissions…"
          : !can(a.action)
            ? `You don't have permission for this (${a.action}).`
            : !task.allowedEvents.includes(a.event)
              ? transition.ok
                ? "Not available now."
                : transition.reason
              : null;
        return (
          <ActionButton
            key={a.kind}
            variant={a.variant}
            disabledReason={reason}
            disabled={mutations[a.kind].isPending}
            onClick={() => {
              if (a.confirm) {
                setConfirmError(null);
                setIsFinalSync(false);
                setConfirming(a.kind);
              } else run(a.kind);
            }}
          >
            {a.kind === "start" ? startLabel(task.state) : a.label}
          </ActionButton>
        );
      })}
      <ConfirmDialog
        open={current !== undefined}
        title={current?.confirm?.title ?? ""}
        confirmLabel={current?.confirm?.label ?? ""}
        isPending={current ? mutations[current.kind].isPending : false}
        error={confirmError}
        onConfirm={() => current && run(current.kind)}
        onClose={() => setConfirming(null)}
      >
        {current?.confirm?.body}
        <span className="mt-1 block font-medium text-slate-800">Task: {task.name}</span>
        {current?.kind === "launch" ? (
          <span className="mt-3 block">
            <CheckboxField
              label="Run a final sync first"
              hint="Stop the services on the source first: one more incremental pass runs, and the target is launched once it is verified."
              checked={isFinalSync}
              onChange={(e) => setIsFinalSync(e.target.checked)}
            />
          </span>
        ) : null}
      </ConfirmDialog>
      {task.mode === "block" && can("sms:task:update") && !["LAUNCHING", "LAUNCHED", "DELETING"].includes(task.state) ? (
        <Button
          variant="ghost"
          disabled={continuous.isPending}
          aria-pressed={task.settings.continuousSync}
          onClick={() => continuous.mutate({ taskId: task.id, version: task.version, isOn: !task.settings.continuousSync })}
        >
          Continuous sync: {task.settings.continuousSync ? "on" : "off"}
        </Button>
      ) : null}
    </>
  );
}

/** Starting again after a stop resumes, after a failure retries: both continue from the last checkpoint. */
function startLabel(state: TaskState): string {
  if (state === "ABORT") return "Resume";
  if (state === "MIGRATE_FAIL") return "Retry";
  return "Start";
}
