import { useId, type TextareaHTMLAttributes } from "react";

/** A labelled textarea; `isCode` switches to a monospace font and turns off spell checking. */
export function TextareaField({
  label,
  error,
  hint,
  isCode,
  className = "",
  ...props
}: TextareaHTMLAttributes<HTMLTextAreaElement> & { label: string; error?: string; hint?: string; isCode?: boolean }) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
      </label>
      <textarea
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        spellCheck={isCode ? false : undefined}
        autoCapitalize={isCode ? "off" : undefined}
        autoCorrect={isCode ? "off" : undefined}
        className={`block w-full rounded-md border bg-white px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-brand-600 ${
          isCode ? "font-mono text-[13px] leading-5" : ""
        } ${error ? "border-red-500" : "border-slate-300"} ${className}`}
        {...props}
      />
      {error ? (
        <p id={`${id}-error`} className="text-sm text-red-600">
          {error}
        </p>
      ) : hint ? (
        <p id={`${id}-hint`} className="text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
