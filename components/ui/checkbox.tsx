import { useId, type InputHTMLAttributes } from "react";

/** A checkbox with its label beside it, and a hint or an error tied to it for screen readers. */
export function CheckboxField({
  label,
  hint,
  error,
  ...props
}: Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & { label: string; hint?: React.ReactNode; error?: string }) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="flex items-start gap-2">
      <input
        id={id}
        type="checkbox"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        className="mt-0.5 h-4 w-4 rounded border-slate-300 text-brand-600 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-600 disabled:cursor-not-allowed"
        {...props}
      />
      <div className="text-sm">
        <label htmlFor={id} className={`font-medium ${props.disabled ? "text-slate-400" : "text-slate-700"}`}>
          {label}
        </label>
        {error ? (
          <p id={`${id}-error`} className="text-red-600">
            {error}
          </p>
        ) : hint ? (
          <p id={`${id}-hint`} className="text-xs text-slate-500">
            {hint}
          </p>
        ) : null}
      </div>
    </div>
  );
}
