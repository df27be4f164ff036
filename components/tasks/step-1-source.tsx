"use client";

import Link from "next/link";
import { CheckStatusPill, VerdictPill } from "@/components/servers/pill";
import { formatAgo } from "@/components/servers/format";
import { EmptyState } from "@/components/ui/empty-state";
import { Fieldset } from "@/components/ui/fieldset";
import { RadioOption } from "@/components/ui/radio";
import type { FeasibilityResult } from "@/server/services/servers/feasibility";
import type { ServerSummaryDto } from "@/server/services/servers/list";

/** Why a source cannot be migrated now, or null when it can. */
export function sourceUnavailableReason(server: ServerSummaryDto): string | null {
  if (server.connection !== "connected") return `The agent is offline (last seen ${formatAgo(server.lastHeartbeatAt)}): start it on the server.`;
  if (server.verdict === null) return "Not checked yet: refresh its report from the Source servers page.";
  if (server.verdict === "fail") return `It failed its check (${server.failedChecks} error${server.failedChecks === 1 ? "" : "s"}): see Source servers → Source check.`;
  return null;
}

function checkSummary(server: ServerSummaryDto): string {
  if (server.verdict === "pass") return "Every check passed.";
  if (server.verdict === "warn") return `${server.warnedChecks} warning${server.warnedChecks === 1 ? "" : "s"}; migration is possible.`;
  return "";
}

export function SourceStep({
  headingRef,
  sources,
  isLoading,
  selectedId,
  selectedCheck,
  onSelect,
  error,
}: {
  headingRef: React.Ref<HTMLHeadingElement>;
  sources: ServerSummaryDto[];
  isLoading: boolean;
  selectedId: string;
  /** The chosen source's check, to show what its warnings say. */
  selectedCheck: FeasibilityResult | null;
  onSelect: (id: string) => void;
  error?: string;
}) {
  const usable = sources.filter((s) => sourceUnavailableReason(s) === null);
  return (
    <section aria-labelledby="wizard-step-heading" className="space-y-4">
      <h2 id="wizard-step-heading" ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-none">
        Select source
      </h2>
      <p className="text-sm text-slate-600">The server to migrate. Only sources whose agent is connected and whose check passed (or passed with warnings) can be chosen.</p>
      {isLoading ? (
        <p role="status" className="text-sm text-slate-500">
          Loading source servers…
        </p>
      ) : null}
      {!isLoading && usable.length === 0 ? (
        <EmptyState title="No source server can be migrated now">
          <p>
            Install the Ferry agent on the server you want to migrate and start it with <code className="rounded bg-slate-100 px-1">ferry-agent source</code>; it
            registers itself and is checked. A source whose check failed shows what to fix on its{" "}
            <Link className="font-medium text-brand-600 hover:underline" href="/servers">
              Source servers
            </Link>{" "}
            page.{" "}
            <Link className="font-medium text-brand-600 hover:underline" href="/agent">
              Set up the agent
            </Link>
          </p>
        </EmptyState>
      ) : null}
      {sources.length > 0 ? (
        <Fieldset legend="Source server" role="radiogroup" error={error}>
          <div className="space-y-2">
            {sources.map((server) => {
              const reason = sourceUnavailableReason(server);
              return (
                <RadioOption
                  key={server.id}
                  name="sourceServerId"
                  value={server.id}
                  checked={selectedId === server.id}
                  disabled={reason !== null}
                  aria-invalid={error ? true : undefined}
                  onChange={() => onSelect(server.id)}
                  label={
                    <span className="inline-flex flex-wrap items-center gap-2">
                      <span>{server.hostname}</span>
                      <VerdictPill verdict={server.verdict} />
                    </span>
                  }
                  description={
                    <>
                      <span className="text-slate-500">
                        {[server.ipAddresses.join(", "), server.osName].filter(Boolean).join(" · ")}
                        {server.connection === "connected" ? " · connected" : ""}
                      </span>
                      <br />
                      {reason ? <span className="text-red-700">{reason}</span> : <span>{checkSummary(server)}</span>}
                    </>
                  }
                />
              );
            })}
          </div>
        </Fieldset>
      ) : null}
      {selectedCheck ? <CheckSummary check={selectedCheck} hostname={sources.find((s) => s.id === selectedId)?.hostname ?? ""} /> : null}
    </section>
  );
}

function CheckSummary({ check, hostname }: { check: FeasibilityResult; hostname: string }) {
  const notable = check.checks.filter((c) => c.status !== "pass");
  const level = (label: string, l: FeasibilityResult["blockLevel"]) => (
    <li>
      {label}: {l.available ? "available" : <span className="text-red-700">not available{l.reason ? ` (${l.reason})` : ""}</span>}
    </li>
  );
  return (
    <div aria-label={`Check of ${hostname}`} role="group" className="rounded-md border border-slate-200 bg-slate-50 p-4 text-sm">
      <p className="font-medium text-slate-900">Check of {hostname}</p>
      <ul className="mt-1 text-slate-700">
        {level("Block level", check.blockLevel)}
        {level("File level", check.fileLevel)}
      </ul>
      {notable.length ? (
        <ul className="mt-2 space-y-1">
          {notable.map((c) => (
            <li key={c.id}>
              <CheckStatusPill status={c.status} /> <span className="font-medium">{c.title}:</span> {c.message} <span className="text-slate-500">{c.hint}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-2 text-slate-600">Every check passed.</p>
      )}
    </div>
  );
}
