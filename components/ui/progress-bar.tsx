/** A horizontal bar for a percentage, announced as a progressbar with its value. */
export function ProgressBar({ value, label, tone = "brand", showValue = true }: { value: number; label: string; tone?: "brand" | "success" | "danger"; showValue?: boolean }) {
  const percent = Math.max(0, Math.min(100, Math.round(value)));
  const fill = { brand: "bg-brand-600", success: "bg-green-600", danger: "bg-red-500" }[tone];
  return (
    <div className="flex items-center gap-2">
      <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent} className="h-2 w-full min-w-16 overflow-hidden rounded-full bg-slate-200">
        <div className={`h-full rounded-full ${fill} transition-[width] duration-500`} style={{ width: `${percent}%` }} />
      </div>
      {showValue ? <span className="w-10 shrink-0 text-right text-xs text-slate-700 tabular-nums">{percent}%</span> : null}
    </div>
  );
}
