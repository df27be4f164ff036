import { useId } from "react";

/** A group of controls under a legend, with the group's error (or hint) tied to it for screen readers. */
export function Fieldset({
  legend,
  error,
  hint,
  role,
  className = "",
  children,
}: {
  legend: React.ReactNode;
  error?: string;
  hint?: React.ReactNode;
  role?: "radiogroup";
  className?: string;
  children: React.ReactNode;
}) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <fieldset role={role} aria-invalid={error ? true : undefined} aria-describedby={describedBy} className={`space-y-3 ${className}`}>
      <legend className="mb-1 text-sm font-semibold text-slate-900">{legend}</legend>
      {hint && !error ? (
        <p id={`${id}-hint`} className="-mt-1 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
      {children}
      {error ? (
        <p id={`${id}-error`} className="text-sm text-red-600">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
