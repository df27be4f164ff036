import { Badge } from "@/components/ui/badge";
import type { PolicySummary } from "@/server/authz/summarize";

/** "What this allows": the catalogue actions a policy grants and denies, per service:resource. */
export function PolicySummaryView({ summary }: { summary: PolicySummary }) {
  if (!summary.groups.length) {
    return <p className="text-sm text-slate-600">This policy allows nothing: no statement matches a known action.</p>;
  }
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-600">
        Allows {summary.allowedCount} action{summary.allowedCount === 1 ? "" : "s"}
        {summary.deniedCount ? `, denies ${summary.deniedCount}` : ""}.{" "}
        {summary.allowsWrite ? "Some of them change things." : "All of them only read."}
      </p>
      <ul className="space-y-3" aria-label="Allowed and denied actions by resource">
        {summary.groups.map((group) => (
          <li key={group.group} className="rounded-md border border-slate-200 p-3">
            <h4 className="font-mono text-sm font-semibold text-slate-900">{group.group}</h4>
            <ul className="mt-2 space-y-1 text-sm">
              {group.allowed.map((a) => (
                <li key={`allow-${a.action}`} className="flex flex-wrap items-center gap-2">
                  <Badge tone="success">Allow</Badge>
                  <span className="font-mono text-xs">{a.action}</span>
                  <span className="text-slate-600">{a.description}</span>
                  {a.coverage === "limited" ? <Badge tone="warning">Limited</Badge> : null}
                  {a.access === "write" ? <Badge>Write</Badge> : null}
                </li>
              ))}
              {group.denied.map((a) => (
                <li key={`deny-${a.action}`} className="flex flex-wrap items-center gap-2">
                  <Badge tone="danger">Deny</Badge>
                  <span className="font-mono text-xs">{a.action}</span>
                  <span className="text-slate-600">{a.description}</span>
                  {a.coverage === "limited" ? <Badge tone="warning">Limited</Badge> : null}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
      <p className="text-xs text-slate-500">&quot;Limited&quot; means only for some resources or under conditions.</p>
    </div>
  );
}
