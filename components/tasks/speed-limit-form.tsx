"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { isConflict } from "@/components/iam/query-state";
import { issueMapOf } from "@/components/templates/issues";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { setTaskLimitSchema } from "@/server/services/tasks/schemas";

const limitSchema = setTaskLimitSchema.pick({ limitMbps: true });

/** Changes the task's speed limit; while a pass runs the source agent applies it within a second or two. */
export function SpeedLimitForm({ task, isLive }: { task: { id: string; version: number; settings: { limitMbps: number | null } }; isLive: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [value, setValue] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | null>(null);
  const shown = value ?? (task.settings.limitMbps === null ? "" : String(task.settings.limitMbps));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tasks.get.queryKey({ taskId: task.id }) });
  const save = useMutation(
    trpc.tasks.setSpeedLimit.mutationOptions({
      onSuccess: async (_result, sent) => {
        setValue(null);
        setNotice(sent.limitMbps === null ? "Speed limit removed." : `Speed limit set to ${sent.limitMbps} Mbit/s.`);
        await refresh();
      },
      onError: async (e) => {
        setError(errorMessage(e));
        if (isConflict(e)) await refresh();
      },
    }),
  );

  function submit(event: React.FormEvent) {
    event.preventDefault();
    setNotice(null);
    const parsed = limitSchema.safeParse({ limitMbps: shown.trim() === "" ? null : Number(shown.trim()) });
    if (!parsed.success) {
      setError(issueMapOf(parsed.error).limitMbps);
      return;
    }
    setError(undefined);
    save.mutate({ taskId: task.id, version: task.version, limitMbps: parsed.data.limitMbps });
  }

  return (
    <form noValidate onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Speed limit">
      <div className="w-56">
        <Field
          label="Speed limit (Mbit/s)"
          inputMode="decimal"
          placeholder="No limit"
          value={shown}
          onChange={(e) => setValue(e.target.value)}
          error={error}
          hint={isLive ? "Applies to the running pass within a few seconds. Empty: no limit." : "Applies to the next pass. Empty: no limit."}
        />
      </div>
      <Button type="submit" variant="secondary" disabled={save.isPending} className="mb-5">
        {save.isPending ? "Saving…" : "Set limit"}
      </Button>
      {notice ? (
        <p role="status" className="mb-6 text-sm text-green-700">
          {notice}
        </p>
      ) : null}
    </form>
  );
}
