"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { CommandType } from "@/agent/src/protocol/v1/control";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { DataTable, Td, Th } from "./data-table";
import { formatBytes, formatDateTime } from "./format";
import { Pill } from "./pill";

const COMMAND_LABELS: Record<CommandType, string> = {
  refresh: "Refresh report",
  collect_logs: "Collect logs",
  stop: "Stop agent",
  task_receive: "Receive (task)",
  task_send: "Send (task)",
  task_abort: "Stop task",
  task_launch: "Launch target",
  task_cleanup: "Clean up (task deleted)",
};
const STATE_TONES = { queued: "neutral", delivered: "info", acked: "info", succeeded: "success", failed: "danger" } as const;
const STATE_LABELS = { queued: "Queued", delivered: "Delivered", acked: "Running", succeeded: "Succeeded", failed: "Failed" } as const;

export function CommandsAndLogs({ serverId }: { serverId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const commands = useQuery({ ...trpc.servers.listCommands.queryOptions({ serverId }), refetchInterval: 3000 });
  const logs = useQuery({ ...trpc.servers.listLogs.queryOptions({ serverId }), refetchInterval: 5000 });
  const [error, setError] = useState<string | null>(null);

  async function download(logId: string) {
    try {
      const log = await queryClient.fetchQuery(trpc.servers.getLog.queryOptions({ logId }));
      const url = URL.createObjectURL(new Blob([log.content], { type: "text/plain;charset=utf-8" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = log.fileName;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <div className="space-y-6">
      {error ? <Alert>{error}</Alert> : null}
      <section className="space-y-2">
        <h3 className="text-sm font-semibold text-slate-900">Commands</h3>
        {commands.error ? <Alert>{errorMessage(commands.error)}</Alert> : null}
        {commands.data ? (
          <DataTable label="Commands" head={<><Th>Command</Th><Th>State</Th><Th>Result</Th><Th>Queued</Th><Th>Finished</Th></>}>
            {commands.data.map((c) => (
              <tr key={c.id}>
                <Td>{COMMAND_LABELS[c.type]}</Td>
                <Td>
                  <Pill tone={STATE_TONES[c.state]}>{STATE_LABELS[c.state]}</Pill>
                  {c.deliveredCount > 1 ? <span className="ml-2 text-xs text-slate-500">delivered {c.deliveredCount}×</span> : null}
                </Td>
                <Td>{c.result?.message ?? ""}</Td>
                <Td>{formatDateTime(c.createdAt)}</Td>
                <Td>{formatDateTime(c.finishedAt)}</Td>
              </tr>
            ))}
            {commands.data.length === 0 ? (
              <tr>
                <Td colSpan={5} className="py-4 text-center text-slate-500">
                  No command was sent to this agent yet.
                </Td>
              </tr>
            ) : null}
          </DataTable>
        ) : null}
      </section>
      <section className="space-y-2">
        <h3 className="text-sm font-semibold text-slate-900">Agent logs</h3>
        {logs.error ? <Alert>{errorMessage(logs.error)}</Alert> : null}
        {logs.data ? (
          <DataTable label="Agent logs" head={<><Th>File</Th><Th>Size</Th><Th>Uploaded</Th><Th><span className="sr-only">Download</span></Th></>}>
            {logs.data.map((log) => (
              <tr key={log.id}>
                <Td className="font-mono text-xs">{log.fileName}</Td>
                <Td>
                  {formatBytes(log.sizeBytes)}
                  {log.isTruncated ? <span className="ml-1 text-xs text-slate-500">(most recent part)</span> : null}
                </Td>
                <Td>{formatDateTime(log.createdAt)}</Td>
                <Td>
                  <Button variant="secondary" onClick={() => download(log.id)} aria-label={`Download ${log.fileName}`}>
                    Download
                  </Button>
                </Td>
              </tr>
            ))}
            {logs.data.length === 0 ? (
              <tr>
                <Td colSpan={4} className="py-4 text-center text-slate-500">
                  No log was uploaded yet: use Collect logs.
                </Td>
              </tr>
            ) : null}
          </DataTable>
        ) : null}
      </section>
    </div>
  );
}
