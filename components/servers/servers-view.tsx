"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import type { ListServersInput } from "@/server/services/servers/schemas";
import { DataTable, Td, Th } from "./data-table";
import { formatAgo, formatDateTime } from "./format";
import { ConnectionPill, VerdictPill } from "./pill";

type Sort = NonNullable<ListServersInput["sort"]>;
const PAGE_SIZE = 25;
const inputClass = "rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-600";

export function ServersView() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [connection, setConnection] = useState<"" | "connected" | "offline">("");
  const [verdict, setVerdict] = useState<"" | "pass" | "warn" | "fail">("");
  const [sort, setSort] = useState<Sort>("hostname");
  const [order, setOrder] = useState<"asc" | "desc">("asc");
  const [page, setPage] = useState(1);
  const input: ListServersInput = {
    search: search.trim() || undefined,
    connection: connection || undefined,
    verdict: verdict || undefined,
    sort,
    order,
    page,
    pageSize: PAGE_SIZE,
  };
  // Connected/offline changes without anyone touching the page: look again every few seconds.
  const servers = useQuery({ ...trpc.servers.list.queryOptions(input), refetchInterval: 5000, placeholderData: keepPreviousData });
  const data = servers.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / PAGE_SIZE)) : 1;
  const isFiltered = Boolean(input.search || input.connection || input.verdict);

  const sortButton = (field: Sort, label: string) => (
    <button
      type="button"
      className="uppercase hover:text-slate-900"
      aria-label={`Sort by ${label.toLowerCase()}`}
      onClick={() => {
        if (sort === field) setOrder(order === "asc" ? "desc" : "asc");
        else {
          setSort(field);
          setOrder(field === "hostname" ? "asc" : "desc");
        }
        setPage(1);
      }}
    >
      {label}
      {sort === field ? (order === "asc" ? " ▲" : " ▼") : ""}
    </button>
  );

  if (data && data.total === 0 && !isFiltered) {
    return (
      <EmptyState title="No source servers yet">
        <p>Install the Ferry agent on a server you want to migrate. It registers itself here and Ferry checks whether it can be migrated.</p>
        <p className="mt-2">
          <Link className="font-medium text-brand-600 hover:underline" href="/agent">
            Set up the agent
          </Link>
        </p>
      </EmptyState>
    );
  }

  return (
    <div className="space-y-4">
      <form role="search" className="flex flex-wrap items-end gap-3" onSubmit={(e) => e.preventDefault()}>
        <label className="flex flex-col text-xs font-medium text-slate-600">
          Search
          <input
            className={`${inputClass} mt-1 w-64`}
            type="search"
            placeholder="Host name, IP address or OS"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setPage(1);
            }}
          />
        </label>
        <label className="flex flex-col text-xs font-medium text-slate-600">
          Connection
          <select
            className={`${inputClass} mt-1`}
            value={connection}
            onChange={(e) => {
              setConnection(e.target.value as typeof connection);
              setPage(1);
            }}
          >
            <option value="">Any</option>
            <option value="connected">Connected</option>
            <option value="offline">Offline</option>
          </select>
        </label>
        <label className="flex flex-col text-xs font-medium text-slate-600">
          Check
          <select
            className={`${inputClass} mt-1`}
            value={verdict}
            onChange={(e) => {
              setVerdict(e.target.value as typeof verdict);
              setPage(1);
            }}
          >
            <option value="">Any</option>
            <option value="pass">Ready</option>
            <option value="warn">Ready with warnings</option>
            <option value="fail">Unavailable</option>
          </select>
        </label>
      </form>

      {servers.error ? <Alert>{errorMessage(servers.error)}</Alert> : null}
      {servers.isLoading ? (
        <p role="status" className="py-8 text-center text-sm text-slate-500">
          Loading source servers…
        </p>
      ) : null}
      {data ? (
        <>
          <DataTable
            label="Source servers"
            head={
              <>
                <Th>{sortButton("hostname", "Name")}</Th>
                <Th>IP address</Th>
                <Th>OS</Th>
                <Th>Agent</Th>
                <Th>{sortButton("lastHeartbeatAt", "Last seen")}</Th>
                <Th>Check</Th>
                <Th>Migration</Th>
                <Th>{sortButton("createdAt", "Registered")}</Th>
              </>
            }
          >
            {data.items.map((server) => (
              <tr key={server.id}>
                <Td>
                  <Link className="font-medium text-brand-700 hover:underline" href={`/servers/${server.id}`}>
                    {server.hostname}
                  </Link>
                </Td>
                <Td className="font-mono text-xs">{server.ipAddresses.slice(0, 2).join(", ") || "—"}</Td>
                <Td>{server.osName || "—"}</Td>
                <Td>
                  <ConnectionPill connection={server.connection} />
                </Td>
                <Td title={formatDateTime(server.lastHeartbeatAt)}>{formatAgo(server.lastHeartbeatAt)}</Td>
                <Td>
                  <VerdictPill verdict={server.verdict} />
                  {server.failedChecks || server.warnedChecks ? (
                    <span className="ml-2 text-xs text-slate-500">
                      {server.failedChecks ? `${server.failedChecks} error${server.failedChecks > 1 ? "s" : ""}` : ""}
                      {server.failedChecks && server.warnedChecks ? ", " : ""}
                      {server.warnedChecks ? `${server.warnedChecks} warning${server.warnedChecks > 1 ? "s" : ""}` : ""}
                    </span>
                  ) : null}
                </Td>
                <Td className="capitalize">{server.migrationCycle}</Td>
                <Td>{formatDateTime(server.createdAt)}</Td>
              </tr>
            ))}
            {data.items.length === 0 ? (
              <tr>
                <Td colSpan={8} className="py-6 text-center text-slate-500">
                  No source server matches.
                </Td>
              </tr>
            ) : null}
          </DataTable>
          <nav aria-label="Pages" className="flex items-center justify-between text-sm text-slate-600">
            <span>
              {data.total} server{data.total === 1 ? "" : "s"} · page {data.page} of {pages}
            </span>
            <span className="flex gap-2">
              <Button variant="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
                Previous
              </Button>
              <Button variant="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
                Next
              </Button>
            </span>
          </nav>
        </>
      ) : null}
    </div>
  );
}
