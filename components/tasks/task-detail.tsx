"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useAllowedActions } from "@/components/iam/use-allowed-actions";
import { QueryState } from "@/components/iam/query-state";
import { formatBytes, formatDateTime } from "@/components/servers/format";
import { describeLimit } from "@/components/templates/migration-settings-draft";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { ProgressBar } from "@/components/ui/progress-bar";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import { elapsedSeconds, formatDuration, formatRate, IDLE_REFRESH_MS, isLiveState, LIVE_REFRESH_MS } from "./format";
import { SpeedLimitForm } from "./speed-limit-form";
import { TaskActions } from "./task-actions";
import { TaskCharts } from "./task-charts";
import { TaskStateBadge } from "./task-state-badge";
import type { TaskDetail as TaskDetailDto } from "./types";

const SUBTASK_STATES: Record<string, { label: string; tone: "neutral" | "info" | "success" | "warning" | "danger" }> = {
  pending: { label: "Waiting", tone: "neutral" },
  running: { label: "Running", tone: "info" },
  succeeded: { label: "Done", tone: "success" },
  failed: { label: "Failed", tone: "danger" },
  skipped: { label: "Skipped", tone: "neutral" },
};

const EVENT_LEVELS = { info: { label: "Info", tone: "info" }, warning: { label: "Warning", tone: "warning" }, error: { label: "Error", tone: "danger" } } as const;

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-4 py-3">
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className="mt-1 text-sm font-semibold text-slate-900 tabular-nums">{children}</dd>
    </div>
  );
}

function Subtasks({ task }: { task: TaskDetailDto }) {
  return (
    <Table label="Subtasks">
      <THead>
        <Th>Step</Th>
        <Th>State</Th>
        <Th className="w-56">Progress</Th>
        <Th>Started</Th>
        <Th>Finished</Th>
        <Th>Took</Th>
      </THead>
      <TBody>
        {task.subtasks.map((s) => {
          const state = SUBTASK_STATES[s.state] ?? { label: s.state, tone: "neutral" as const };
          return (
            <tr key={s.name}>
              <Td className="font-medium">{s.title}</Td>
              <Td>
                <Badge tone={state.tone}>{state.label}</Badge>
              </Td>
              <Td>
                <ProgressBar value={s.progressPercent} label={`${s.title} progress`} tone={s.state === "failed" ? "danger" : s.state === "succeeded" ? "success" : "brand"} />
              </Td>
              <Td className="text-xs text-slate-600">{formatDateTime(s.startedAt) || "—"}</Td>
              <Td className="text-xs text-slate-600">{formatDateTime(s.finishedAt) || "—"}</Td>
              <Td className="text-xs text-slate-600 tabular-nums">{s.startedAt ? formatDuration(elapsedSeconds(s.startedAt, s.finishedAt)) : "—"}</Td>
            </tr>
          );
        })}
      </TBody>
    </Table>
  );
}

function Events({ events }: { events: TaskDetailDto["events"] }) {
  if (events.length === 0) return <p className="text-sm text-slate-500">Nothing has happened yet.</p>;
  return (
    <ol aria-label="Events" className="space-y-3 border-l-2 border-slate-200 pl-4">
      {events.map((e) => {
        const level = EVENT_LEVELS[e.level as keyof typeof EVENT_LEVELS] ?? EVENT_LEVELS.info;
        return (
          <li key={e.id} className="relative">
            <span aria-hidden="true" className={`absolute top-1.5 -left-[23px] h-3 w-3 rounded-full border-2 border-white ${e.level === "error" ? "bg-red-500" : e.level === "warning" ? "bg-amber-500" : "bg-slate-400"}`} />
            <div className="flex flex-wrap items-center gap-2 text-xs text-slate-500">
              <time dateTime={new Date(e.at).toISOString()}>{formatDateTime(e.at)}</time>
              <Badge tone={level.tone}>{level.label}</Badge>
            </div>
            <p className={`mt-0.5 text-sm ${e.level === "error" ? "text-red-800" : "text-slate-800"}`}>{e.message}</p>
            {e.hint ? (
              <p className="text-sm text-slate-600">
                <span className="font-medium">What to do:</span> {e.hint}
              </p>
            ) : null}
          </li>
        );
      })}
    </ol>
  );
}

export function TaskDetail({ taskId }: { taskId: string }) {
  const trpc = useTRPC();
  const { can } = useAllowedActions();
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const task = useQuery({
    ...trpc.tasks.get.queryOptions({ taskId }),
    // Within 2 s of the agents' reports while they work; a slower look otherwise for others' changes.
    refetchInterval: (query) => (query.state.data && isLiveState(query.state.data.state) ? LIVE_REFRESH_MS : IDLE_REFRESH_MS),
  });

  if (task.isLoading || task.error || !task.data) {
    return (
      <div className="space-y-4">
        <QueryState isLoading={task.isLoading} error={task.error} what="the migration task" />
        {!task.isLoading ? (
          <Link className="text-sm font-medium text-brand-600 hover:underline" href="/tasks">
            Back to migration tasks
          </Link>
        ) : null}
      </div>
    );
  }

  const t = task.data;
  const isLive = isLiveState(t.state);
  const lastError = t.events.find((e) => e.level === "error");
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <p className="text-sm">
            <Link className="text-brand-600 hover:underline" href="/tasks">
              Migration tasks
            </Link>
          </p>
          <h1 className="mt-1 flex flex-wrap items-center gap-3 text-2xl font-semibold text-slate-900">
            {t.name} <TaskStateBadge state={t.state} />
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            {t.source.hostname} → {t.target.hostname} · {t.mode === "block" ? "block level" : "file level"}
            {t.isSyncPass && isLive ? " · sync pass" : ""}
          </p>
        </div>
        <div className="flex flex-wrap gap-2" role="group" aria-label="Task actions">
          <TaskActions
            task={t}
            onNotice={(m) => {
              setError(null);
              setNotice(m);
            }}
            onError={(m) => {
              setNotice(null);
              setError(m);
            }}
          />
        </div>
      </div>
      {notice ? <Alert tone="info">{notice}</Alert> : null}
      {error ? <Alert>{error}</Alert> : null}
      {t.errorMessage && (t.state === "MIGRATE_FAIL" || t.state === "SYNC_F_ROLLBACK_SUCCESS" || t.state === "ABORT") ? (
        <Alert>
          {t.errorMessage}
          {lastError?.hint ? <span className="mt-1 block">What to do: {lastError.hint}</span> : null}
        </Alert>
      ) : null}

      <section aria-labelledby="task-progress-heading" className="space-y-3">
        <h2 id="task-progress-heading" className="text-base font-semibold text-slate-900">
          Progress
        </h2>
        <ProgressBar value={t.progressPercent} label="Overall progress" tone={t.state === "MIGRATE_FAIL" ? "danger" : t.progressPercent >= 100 ? "success" : "brand"} />
        <dl className="grid gap-3 sm:grid-cols-3 lg:grid-cols-6">
          <Stat label="Copied">{t.bytesTotal > 0 ? `${formatBytes(t.bytesDone)} of ${formatBytes(t.bytesTotal)}` : "—"}</Stat>
          <Stat label="Rate">{formatRate(t.rateBytesPerSecond)}</Stat>
          <Stat label="Time left">{formatDuration(t.secondsLeft)}</Stat>
          <Stat label="Sent over the link">{t.bytesSent > 0 ? formatBytes(t.bytesSent) : "—"}</Stat>
          <Stat label="Verification">
            <span data-testid="task-verification">{t.verification ?? (t.settings.verify ? "Not verified yet" : "Off")}</span>
          </Stat>
          <Stat label="Started">{t.startedAt ? formatDateTime(t.startedAt) : "Not yet"}</Stat>
        </dl>
      </section>

      <section aria-labelledby="task-subtasks-heading" className="space-y-3">
        <h2 id="task-subtasks-heading" className="text-base font-semibold text-slate-900">
          Subtasks
        </h2>
        <Subtasks task={t} />
      </section>

      <section aria-labelledby="task-charts-heading" className="space-y-3">
        <h2 id="task-charts-heading" className="text-base font-semibold text-slate-900">
          Live charts {isLive ? <span className="ml-2 text-xs font-normal text-slate-500">updating every {LIVE_REFRESH_MS / 1000} s</span> : null}
        </h2>
        {t.samples.length === 0 ? (
          <p className="text-sm text-slate-600">
            {isLive ? "Waiting for the first report from the agents (about every second while a pass runs)." : "The charts fill when a pass runs: the agents report about every second."}
          </p>
        ) : null}
        <TaskCharts samples={t.samples} secondsLeft={t.secondsLeft} progressPercent={t.progressPercent} />
      </section>

      <div className="grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="task-settings-heading" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 id="task-settings-heading" className="text-base font-semibold text-slate-900">
            Settings
          </h2>
          <dl className="space-y-1 text-sm">
            <div>
              <dt className="inline font-medium text-slate-600">Mapping: </dt>
              <dd className="inline">
                {t.mapping.mode === "block"
                  ? t.mapping.disks.map((d) => `${d.sourceDisk} → ${d.targetDisk}`).join(", ")
                  : t.mapping.prepare
                    ? `${t.mapping.sourceRoot} onto the target's disks prepared like the source's: ${t.mapping.prepare.disks.map((d) => `${d.sourceDisk} → ${d.targetDisk}`).join(", ")} (${t.mapping.prepare.isSameUuids ? "same" : "new"} filesystem UUIDs)`
                    : `${t.mapping.sourceRoot} → ${t.mapping.targetDir}`}
              </dd>
            </div>
            <div>
              <dt className="inline font-medium text-slate-600">Speed limit: </dt>
              <dd className="inline">{describeLimit(t.settings)}</dd>
            </div>
            <div>
              <dt className="inline font-medium text-slate-600">Options: </dt>
              <dd className="inline">
                {[
                  t.settings.compress ? "compression" : "no compression",
                  t.settings.continuousSync ? "continuous sync" : null,
                  t.settings.verify ? "verify" : "no verification",
                  t.settings.startTargetAfterMigration ? "start target after migration" : null,
                  t.settings.excludes.length ? `excludes ${t.settings.excludes.join(", ")}` : null,
                ]
                  .filter(Boolean)
                  .join(", ")}
              </dd>
            </div>
          </dl>
          {can("sms:task:update") ? <SpeedLimitForm key={t.version} task={t} isLive={isLive} /> : null}
        </section>
        <section aria-labelledby="task-events-heading" className="space-y-3 rounded-lg border border-slate-200 bg-white p-4">
          <h2 id="task-events-heading" className="text-base font-semibold text-slate-900">
            Events
          </h2>
          <Events events={t.events} />
        </section>
      </div>
    </div>
  );
}
