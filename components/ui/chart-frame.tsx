/** A titled box for one chart; shows `emptyText` instead of the chart until there is data. */
export function ChartFrame({ title, isEmpty, emptyText = "No data yet.", summary, children }: { title: string; isEmpty: boolean; emptyText?: string; summary?: React.ReactNode; children: React.ReactNode }) {
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-4" aria-label={title}>
      <figcaption className="mb-2 flex items-baseline justify-between gap-2">
        <span className="text-sm font-semibold text-slate-900">{title}</span>
        {summary ? <span className="text-xs text-slate-600 tabular-nums">{summary}</span> : null}
      </figcaption>
      {isEmpty ? (
        <div className="flex h-40 items-center justify-center rounded-md border border-dashed border-slate-200 text-sm text-slate-500">{emptyText}</div>
      ) : (
        <div className="h-40">{children}</div>
      )}
    </figure>
  );
}
