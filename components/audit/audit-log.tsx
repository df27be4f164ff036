"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { formatDateTime } from "@/components/iam/format";
import { downloadText } from "@/components/iam/download";
import { QueryState } from "@/components/iam/query-state";
import { useAllowedActions } from "@/components/iam/use-allowed-actions";
import { useTRPCClient } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Field } from "@/components/ui/field";
import { SelectField } from "@/components/ui/select";
import { Table, TBody, Td, Th, THead } from "@/components/ui/table";
// Type only: list.ts also holds the database query, which must stay out of the browser bundle.
import type { ListAuditEventsInput } from "@/server/services/audit/schemas";

const PAGE_SIZE = 50;
const FILTER_KEYS = ["from", "to", "user", "operation", "resource", "result"] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Partial<Record<FilterKey, string>>;

function filtersFrom(params: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const key of FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

/** datetime-local values carry no zone: they mean the viewer's local time, as `new Date()` reads them. */
function toInput(filters: Filters): ListAuditEventsInput {
  return {
    from: filters.from ? new Date(filters.from) : undefined,
    to: filters.to ? new Date(filters.to) : undefined,
    user: filters.user,
    operation: filters.operation,
    resource: filters.resource,
    result: filters.result === "success" || filters.result === "failure" ? filters.result : undefined,
  };
}

function today() {
  return new Date().toLocaleDateString("sv-SE");
}

export function AuditLog() {
  const client = useTRPCClient();
  const router = useRouter();
  const pathname = usePathname();
  const searchParams = useSearchParams();
  const { can } = useAllowedActions();
  const filters = filtersFrom(new URLSearchParams(searchParams.toString()));
  const hasFilters = Object.keys(filters).length > 0;
  const [filterError, setFilterError] = useState<string | undefined>();
  const [exportError, setExportError] = useState<string | null>(null);
  const [isExporting, setIsExporting] = useState(false);

  const input = toInput(filters);
  const events = useInfiniteQuery({
    queryKey: ["audit", "list", filters],
    queryFn: ({ pageParam }) => client.audit.list.query({ ...input, limit: PAGE_SIZE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    // Keyset pagination: the next page is everything older than the last row shown.
    getNextPageParam: (lastPage) => (lastPage.length === PAGE_SIZE ? lastPage.at(-1)?.cursor : undefined),
    staleTime: 0,
  });
  const rows = events.data?.pages.flat() ?? [];

  function applyFilters(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const value = String(form.get(key) ?? "").trim();
      if (value) next.set(key, value);
    }
    const { from, to } = toInput(filtersFrom(next));
    if (from && to && from > to) {
      setFilterError("The end of the time range is before its start");
      return;
    }
    setFilterError(undefined);
    router.replace(next.size ? `${pathname}?${next}` : pathname);
  }

  async function exportCsv() {
    setIsExporting(true);
    setExportError(null);
    try {
      const csv = await client.audit.exportCsv.query(input);
      downloadText(`ferry-audit-${today()}.csv`, csv);
    } catch (e) {
      setExportError(errorMessage(e));
    } finally {
      setIsExporting(false);
    }
  }

  return (
    <div className="space-y-4">
      <form
        onSubmit={applyFilters}
        aria-label="Filter the audit log"
        className="grid gap-3 rounded-lg border border-slate-200 bg-white p-4 sm:grid-cols-2 lg:grid-cols-4"
        // Remount when the URL changes so the inputs show the filters in effect (back/forward, Clear).
        key={searchParams.toString()}
        noValidate
      >
        <Field label="From" name="from" type="datetime-local" defaultValue={filters.from} />
        <Field label="To" name="to" type="datetime-local" defaultValue={filters.to} error={filterError} />
        <Field label="User" name="user" defaultValue={filters.user} placeholder="Email contains…" />
        <Field label="Operation" name="operation" defaultValue={filters.operation} placeholder="e.g. iam:user:create" />
        <Field label="Resource" name="resource" defaultValue={filters.resource} placeholder="Type, id or name contains…" />
        <SelectField label="Result" name="result" defaultValue={filters.result ?? ""}>
          <option value="">Any result</option>
          <option value="success">Success</option>
          <option value="failure">Failure</option>
        </SelectField>
        <div className="flex items-end gap-2 sm:col-span-2">
          <Button type="submit">Apply filters</Button>
          {hasFilters ? (
            <Button type="button" variant="secondary" onClick={() => router.replace(pathname)}>
              Clear filters
            </Button>
          ) : null}
          {can("audit:trace:export") ? (
            <Button type="button" variant="secondary" className="ml-auto" onClick={exportCsv} disabled={isExporting}>
              {isExporting ? "Exporting…" : "Export CSV"}
            </Button>
          ) : null}
        </div>
      </form>
      {exportError ? <Alert>{exportError}</Alert> : null}

      <QueryState isLoading={events.isLoading} error={events.error} what="the audit log" />
      {events.data ? (
        rows.length ? (
          <>
            <Table label="Audit events">
              <THead>
                <Th>Time</Th>
                <Th>User</Th>
                <Th>Access key</Th>
                <Th>Source IP</Th>
                <Th>Operation</Th>
                <Th>Resource</Th>
                <Th>Result</Th>
                <Th>Error code</Th>
              </THead>
              <TBody>
                {rows.map((row) => (
                  <tr key={row.id}>
                    <Td className="whitespace-nowrap">{formatDateTime(row.occurredAt)}</Td>
                    <Td>{row.userName ?? <span className="text-slate-400">—</span>}</Td>
                    <Td className="font-mono text-xs">{row.accessKeyId ?? <span className="text-slate-400">Console</span>}</Td>
                    <Td className="font-mono text-xs">{row.sourceIp ?? ""}</Td>
                    <Td className="font-mono text-xs">{row.operation}</Td>
                    <Td>
                      {row.resourceType ? <span className="text-slate-500">{row.resourceType} </span> : null}
                      <span title={row.resourceId ?? undefined}>{row.resourceName ?? row.resourceId ?? ""}</span>
                    </Td>
                    <Td>{row.result === "success" ? <Badge tone="success">Success</Badge> : <Badge tone="danger">Failure</Badge>}</Td>
                    <Td className="font-mono text-xs">{row.errorCode ?? ""}</Td>
                  </tr>
                ))}
              </TBody>
            </Table>
            <div className="flex items-center justify-between text-sm text-slate-600">
              <span role="status">
                Showing {rows.length} event{rows.length === 1 ? "" : "s"}, newest first.
              </span>
              {events.hasNextPage ? (
                <Button variant="secondary" onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>
                  {events.isFetchingNextPage ? "Loading…" : "Load more"}
                </Button>
              ) : null}
            </div>
          </>
        ) : hasFilters ? (
          <EmptyState
            title="No events match these filters"
            action={
              <Button variant="secondary" onClick={() => router.replace(pathname)}>
                Clear filters
              </Button>
            }
          >
            <p>Widen the time range or clear a filter. User, operation and resource match any part of the text.</p>
          </EmptyState>
        ) : (
          <EmptyState title="Nothing to show yet">
            <p>Changes made in the console and by agents appear here with time, user, address, operation and result.</p>
          </EmptyState>
        )
      ) : null}
    </div>
  );
}
