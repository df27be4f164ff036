import { useId, type InputHTMLAttributes } from "react";

/** One radio button with a label and an optional description (or the reason it is disabled). */
export function RadioOption({
  label,
  description,
  ...props
}: Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & { label: React.ReactNode; description?: React.ReactNode }) {
  const id = useId();
  return (
    <div className={`flex items-start gap-2 rounded-md border px-3 py-2 ${props.checked ? "border-brand-600 bg-brand-50" : "border-slate-200 bg-white"} ${props.disabled ? "opacity-70" : ""}`}>
      <input
        id={id}
        type="radio"
        aria-describedby={description ? `${id}-description` : undefined}
        className="mt-1 h-4 w-4 border-slate-300 text-brand-600 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-600 disabled:cursor-not-allowed"
        {...props}
      />
      <div className="min-w-0 flex-1 text-sm">
        <label htmlFor={id} className={`font-medium ${props.disabled ? "cursor-not-allowed text-slate-500" : "cursor-pointer text-slate-800"}`}>
          {label}
        </label>
        {description ? (
          <div id={`${id}-description`} className="text-slate-600">
            {description}
          </div>
        ) : null}
      </div>
    </div>
  );
}
