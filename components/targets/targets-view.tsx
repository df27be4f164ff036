"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { QueryState } from "@/components/iam/query-state";
import { formatAgo, formatBytes, formatDateTime } from "@/components/servers/format";
import { ConnectionPill } from "@/components/servers/pill";
import { useTRPC } from "@/components/trpc/client";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";

const TARGET_COMMAND = `ferry-agent init --console <this console's URL> --ak <your AK>   # once, on the target machine
ferry-agent target --state-dir /var/lib/ferry-target \\
  --disk /dev/vdb --disk /dev/vdc      # disks block-level tasks may overwrite
  # or --disks-dir /srv/images          every *.img there, with its size
  # and/or --file-root /srv/migrated    file-level tasks land in folders below it`;

/** Registered target servers with what their agents offer, refreshed every few seconds. */
export function TargetsView() {
  const trpc = useTRPC();
  const targets = useQuery({ ...trpc.servers.list.queryOptions({ role: "target", pageSize: 100 }), refetchInterval: 5000, placeholderData: keepPreviousData });
  const items = targets.data?.items ?? [];

  if (targets.data && items.length === 0) {
    return (
      <EmptyState title="No target servers yet">
        <p>Install the agent on the machine that will take over (see the agent set-up), then start it in target mode. It registers here with the disks and the folder it offers:</p>
        <pre className="mx-auto mt-3 max-w-2xl overflow-x-auto rounded-md bg-slate-900 p-3 text-left text-xs leading-relaxed text-slate-100">
          <code>{TARGET_COMMAND}</code>
        </pre>
        <p className="mt-3">
          Give it a state folder of its own if a source agent runs on the same machine.{" "}
          <Link className="font-medium text-brand-600 hover:underline" href="/agent">
            See the agent set-up
          </Link>
        </p>
      </EmptyState>
    );
  }

  return (
    <div className="space-y-4">
      <QueryState isLoading={targets.isLoading} error={targets.error} what="target servers" />
      {items.length > 0 ? (
        <Table label="Target servers">
          <THead>
            <Th>Name</Th>
            <Th>Agent</Th>
            <Th>Sources connect to</Th>
            <Th>Disks offered</Th>
            <Th>File root</Th>
            <Th>Registered</Th>
          </THead>
          <TBody>
            {items.map((t) => {
              const offer = t.targetCapabilities;
              return (
                <tr key={t.id}>
                  <Td>
                    <span className="font-medium">{t.hostname}</span>
                    <p className="text-xs text-slate-500">{t.ipAddresses.join(", ")}</p>
                  </Td>
                  <Td>
                    <ConnectionPill connection={t.connection} />
                    <p className="text-xs text-slate-500" title={formatDateTime(t.lastHeartbeatAt)}>
                      Last seen {formatAgo(t.lastHeartbeatAt)}
                    </p>
                  </Td>
                  <Td className="font-mono text-xs">{offer?.receiveHost ?? "—"}</Td>
                  <Td>
                    {offer?.disks.length ? (
                      <ul className="space-y-0.5">
                        {offer.disks.map((d) => (
                          <li key={d.path} className="text-xs">
                            <span className="font-mono">{d.path}</span> <span className="text-slate-600">{formatBytes(d.sizeBytes)}</span>
                            {d.kind === "file" ? <span className="text-slate-500"> (image file)</span> : null}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      <span className="text-xs text-slate-500">None: file level only</span>
                    )}
                  </Td>
                  <Td className="text-xs">{offer?.fileRoot ? <span className="font-mono">{offer.fileRoot}</span> : <span className="text-slate-500">None: block level only</span>}</Td>
                  <Td className="text-xs text-slate-600">{formatDateTime(t.createdAt)}</Td>
                </tr>
              );
            })}
          </TBody>
        </Table>
      ) : null}
    </div>
  );
}
