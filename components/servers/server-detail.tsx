"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";
import { CommandsAndLogs } from "./commands-and-logs";
import { formatAgo, formatDateTime } from "./format";
import { ConnectionPill, VerdictPill } from "./pill";
import { SourceCheck } from "./source-check";
import { SourceInfo } from "./source-info";
import { useCan } from "./use-can";

const TABS = [
  { id: "info", label: "Source info" },
  { id: "check", label: "Source check" },
  { id: "commands", label: "Commands and logs" },
] as const;
type TabId = (typeof TABS)[number]["id"];

export function ServerDetail({ serverId }: { serverId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const can = useCan();
  const [tab, setTab] = useState<TabId>("info");
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [isConfirmingDelete, setIsConfirmingDelete] = useState(false);
  const server = useQuery({ ...trpc.servers.get.queryOptions({ serverId }), refetchInterval: 5000 });

  const queue = useMutation(
    trpc.servers.queueCommand.mutationOptions({
      onSuccess: (command) => {
        setError(null);
        setNotice(
          command.type === "refresh"
            ? "A refresh was sent to the agent; the report updates when it answers."
            : "The agent was asked for its log; it appears under Commands and logs when uploaded.",
        );
        return queryClient.invalidateQueries({ queryKey: trpc.servers.listCommands.queryKey({ serverId }) });
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const recheck = useMutation(
    trpc.servers.recheck.mutationOptions({
      onSuccess: (result) => {
        setError(null);
        setNotice(`The check ran again: ${result.verdict === "fail" ? "it fails" : result.verdict === "warn" ? "it passes with warnings" : "it passes"}.`);
        return queryClient.invalidateQueries({ queryKey: trpc.servers.pathKey() });
      },
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const remove = useMutation(
    trpc.servers.delete.mutationOptions({
      onSuccess: () => router.push("/servers"),
      onError: (e) => setError(errorMessage(e)),
    }),
  );

  if (server.isLoading) {
    return (
      <p role="status" className="py-8 text-center text-sm text-slate-500">
        Loading the source server…
      </p>
    );
  }
  if (server.error || !server.data) {
    return (
      <div className="space-y-4">
        <Alert>{server.error ? errorMessage(server.error) : "The source server was not found."}</Alert>
        <Link className="text-sm font-medium text-brand-600 hover:underline" href="/servers">
          Back to source servers
        </Link>
      </div>
    );
  }

  const s = server.data;
  const canCommand = can("sms:command:create");
  const actions = (
    <>
      {canCommand ? (
        <>
          <Button variant="secondary" disabled={queue.isPending} onClick={() => queue.mutate({ serverId, type: "refresh" })}>
            Refresh report
          </Button>
          <Button variant="secondary" disabled={queue.isPending} onClick={() => queue.mutate({ serverId, type: "collect_logs" })}>
            Collect logs
          </Button>
        </>
      ) : null}
      {can("sms:server:delete") ? (
        <Button variant="danger" onClick={() => setIsConfirmingDelete(true)}>
          Delete
        </Button>
      ) : null}
    </>
  );

  return (
    <>
      <nav className="mb-2 text-sm">
        <Link className="text-brand-600 hover:underline" href="/servers">
          Source servers
        </Link>
        <span className="text-slate-400"> › </span>
        <span className="text-slate-600">{s.hostname}</span>
      </nav>
      <PageHeader title={s.hostname} description={`${s.osName || "Unknown OS"} · ${s.ipAddresses.slice(0, 3).join(", ") || "no address"}`} actions={actions} />
      <div className="mb-4 flex flex-wrap items-center gap-x-6 gap-y-2 text-sm text-slate-700">
        <span className="flex items-center gap-2">
          Agent <ConnectionPill connection={s.connection} />
        </span>
        <span title={formatDateTime(s.lastHeartbeatAt)}>Last heartbeat {formatAgo(s.lastHeartbeatAt)}</span>
        <span className="flex items-center gap-2">
          Check <VerdictPill verdict={s.feasibility.verdict} />
        </span>
        <span className="text-slate-500">Registered {formatDateTime(s.createdAt)}</span>
      </div>
      <div className="mb-4 space-y-2">
        {notice ? <Alert tone="info">{notice}</Alert> : null}
        {error ? <Alert>{error}</Alert> : null}
        {isConfirmingDelete ? (
          <div role="alertdialog" aria-label="Delete this source server" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900">
            <p>
              Delete the record of {s.hostname}, with its commands and logs? If its agent still runs, it stops; started again, it registers as a new
              server.
            </p>
            <div className="mt-2 flex gap-2">
              <Button variant="danger" disabled={remove.isPending} onClick={() => remove.mutate({ serverId })}>
                Delete {s.hostname}
              </Button>
              <Button variant="secondary" onClick={() => setIsConfirmingDelete(false)}>
                Cancel
              </Button>
            </div>
          </div>
        ) : null}
      </div>
      <div role="tablist" aria-label="Source server" className="mb-6 flex gap-4 border-b border-slate-200">
        {TABS.map((t) => (
          <button
            key={t.id}
            role="tab"
            type="button"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            onClick={() => setTab(t.id)}
            className={`-mb-px border-b-2 px-1 pb-2 text-sm font-medium ${
              tab === t.id ? "border-brand-600 text-brand-700" : "border-transparent text-slate-600 hover:text-slate-900"
            }`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "info" ? <SourceInfo report={s.report} /> : null}
        {tab === "check" ? (
          <SourceCheck
            feasibility={s.feasibility}
            onRecheck={can("sms:server:update") ? () => recheck.mutate({ serverId }) : undefined}
            isRechecking={recheck.isPending}
          />
        ) : null}
        {tab === "commands" ? <CommandsAndLogs serverId={serverId} /> : null}
      </div>
    </>
  );
}
