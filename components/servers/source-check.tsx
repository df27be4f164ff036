import type { FeasibilityResult } from "@/server/services/servers/feasibility";
import { Button } from "@/components/ui/button";
import { DataTable, Td, Th } from "./data-table";
import { CheckStatusPill, Pill, VerdictPill } from "./pill";

function Availability({ label, level }: { label: string; level: { available: boolean; reason?: string } }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4">
      <div className="flex items-center gap-2 text-sm font-medium text-slate-900">
        <span>{label}</span>
        <Pill tone={level.available ? "success" : "danger"}>{level.available ? "Available" : "Not available"}</Pill>
      </div>
      {level.reason ? <p className="mt-1 text-sm text-slate-600">{level.reason}</p> : null}
    </div>
  );
}

export function SourceCheck({
  feasibility,
  onRecheck,
  isRechecking = false,
}: {
  feasibility: FeasibilityResult;
  /** Re-runs the check and stores the result (shown only to users who may). */
  onRecheck?: () => void;
  isRechecking?: boolean;
}) {
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-2 text-sm text-slate-700">
        Result: <VerdictPill verdict={feasibility.verdict} />
        <Pill tone={feasibility.sourceState === "unavailable" ? "danger" : "success"}>
          {feasibility.sourceState === "unavailable" ? "Unavailable" : "Waiting (ready to migrate)"}
        </Pill>
        <span className="text-slate-500">Checked against the current rules (version {feasibility.rulesVersion}) each time this page loads.</span>
        {onRecheck ? (
          <Button variant="secondary" onClick={onRecheck} disabled={isRechecking}>
            {isRechecking ? "Checking…" : "Re-run check"}
          </Button>
        ) : null}
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <Availability label="Block-level migration" level={feasibility.blockLevel} />
        <Availability label="File-level migration" level={feasibility.fileLevel} />
      </div>
      <DataTable label="Checks" head={<><Th>Check</Th><Th>Result</Th><Th>Details</Th><Th>What to do</Th></>}>
        {feasibility.checks.map((check) => (
          <tr key={check.id}>
            <Td className="font-medium">{check.title}</Td>
            <Td>
              <CheckStatusPill status={check.status} />
            </Td>
            <Td>{check.message}</Td>
            <Td className="text-slate-600">{check.hint}</Td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
