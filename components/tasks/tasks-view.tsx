"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { QueryState } from "@/components/iam/query-state";
import { useAllowedActions } from "@/components/iam/use-allowed-actions";
import { formatBytes, formatDateTime } from "@/components/servers/format";
import { useTRPC } from "@/components/trpc/client";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { ProgressBar } from "@/components/ui/progress-bar";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
import { formatDuration, formatRate, IDLE_REFRESH_MS, isLiveState, LIVE_REFRESH_MS } from "./format";
import { TaskStateBadge } from "./task-state-badge";

const createLinkClass =
  "inline-flex items-center justify-center rounded-md bg-brand-600 px-3 py-2 text-sm font-medium text-white hover:bg-brand-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-600 focus-visible:ring-offset-1";

export function TasksView() {
  const trpc = useTRPC();
  const { can } = useAllowedActions();
  const [search, setSearch] = useState("");
  const tasks = useQuery({
    ...trpc.tasks.list.queryOptions({ search: search.trim() || undefined }),
    placeholderData: keepPreviousData,
    // Close to the agents while something moves; slower otherwise, to see others' changes.
    refetchInterval: (query) => (query.state.data?.some((t) => isLiveState(t.state)) ? LIVE_REFRESH_MS : IDLE_REFRESH_MS),
  });
  const canCreate = can("sms:task:create");
  const createLink = canCreate ? (
    <Link href="/tasks/new" className={createLinkClass}>
      Create task
    </Link>
  ) : null;
  const items = tasks.data ?? [];

  return (
    <>
      <PageHeader title="Migration tasks" description="Each task moves one source server to one target server: full copy, syncs, then launch." actions={createLink} />
      <QueryState isLoading={tasks.isLoading} error={tasks.error} what="migration tasks" />
      {tasks.data && items.length === 0 && !search.trim() ? (
        <EmptyState title="No migration tasks yet" action={createLink}>
          <p>
            A task needs a source server whose agent is connected and whose check passed, and a registered target server. Register both with the agent (
            <Link className="font-medium text-brand-600 hover:underline" href="/servers">
              Source servers
            </Link>
            ,{" "}
            <Link className="font-medium text-brand-600 hover:underline" href="/targets">
              Target servers
            </Link>
            ), then create a task in three steps: select the source, configure the target, confirm.
          </p>
        </EmptyState>
      ) : null}
      {tasks.data && (items.length > 0 || search.trim()) ? (
        <div className="space-y-4">
          <form role="search" onSubmit={(e) => e.preventDefault()}>
            <label className="flex flex-col text-xs font-medium text-slate-600">
              Search
              <input
                type="search"
                className="mt-1 w-72 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-600"
                placeholder="Task, source or target name"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
              />
            </label>
          </form>
          <Table label="Migration tasks">
            <THead>
              <Th>Name</Th>
              <Th className="whitespace-nowrap">Source → target</Th>
              <Th>Level</Th>
              <Th>State</Th>
              <Th className="w-56">Progress</Th>
              <Th>Rate</Th>
              <Th className="whitespace-nowrap">Time left</Th>
              <Th>Created</Th>
            </THead>
            <TBody>
              {items.length === 0 ? (
                <tr>
                  <Td colSpan={8} className="py-6 text-center text-slate-500">
                    No task matches.
                  </Td>
                </tr>
              ) : null}
              {items.map((t) => (
                <tr key={t.id} data-testid={`task-row-${t.name}`}>
                  <Td>
                    <Link className="font-medium whitespace-nowrap text-brand-700 hover:underline" href={`/tasks/${t.id}`}>
                      {t.name}
                    </Link>
                  </Td>
                  <Td>
                    {t.source.hostname} <span aria-label="to">→</span> {t.target.hostname}
                  </Td>
                  <Td>{t.mode === "block" ? "Block" : "File"}</Td>
                  <Td>
                    <TaskStateBadge state={t.state} />
                    {t.errorMessage && (t.state === "MIGRATE_FAIL" || t.state === "SYNC_F_ROLLBACK_SUCCESS") ? <p className="mt-1 max-w-xs text-xs text-red-700">{t.errorMessage}</p> : null}
                  </Td>
                  <Td>
                    <ProgressBar value={t.progressPercent} label={`Progress of ${t.name}`} tone={t.state === "MIGRATE_FAIL" ? "danger" : t.progressPercent >= 100 ? "success" : "brand"} />
                    <p className="mt-0.5 text-xs text-slate-500 tabular-nums">
                      {t.bytesTotal > 0 ? `${formatBytes(t.bytesDone)} of ${formatBytes(t.bytesTotal)}` : ""}
                      {t.isSyncPass && isLiveState(t.state) ? " (sync)" : ""}
                    </p>
                  </Td>
                  <Td className="tabular-nums">{formatRate(t.rateBytesPerSecond)}</Td>
                  <Td className="tabular-nums">{formatDuration(t.secondsLeft)}</Td>
                  <Td className="text-xs text-slate-600">{formatDateTime(t.createdAt)}</Td>
                </tr>
              ))}
            </TBody>
          </Table>
        </div>
      ) : null}
    </>
  );
}
