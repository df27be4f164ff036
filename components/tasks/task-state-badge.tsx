import { Badge } from "@/components/ui/badge";
import type { TaskState } from "@/server/services/tasks/state-machine";
import { TASK_STATE_LABELS } from "./format";

/** The state's plain-words label, with the SMS name beside it for people who know SMS. */
export function TaskStateBadge({ state }: { state: TaskState }) {
  const { label, tone } = TASK_STATE_LABELS[state];
  return (
    <span className="inline-flex items-center gap-1.5" data-testid="task-state" data-state={state}>
      <Badge tone={tone}>{label}</Badge>
      <span className="font-mono text-[11px] text-slate-500">{state}</span>
    </span>
  );
}
