"use client";

import { useId, type ButtonHTMLAttributes } from "react";
import { Button } from "./button";

/**
 * A button that may be unavailable with a reason. Unavailable, it stays focusable (aria-disabled
 * rather than disabled) so keyboard and screen-reader users reach it and hear why, and shows the
 * reason as a tooltip on hover or focus.
 */
export function ActionButton({
  disabledReason,
  variant,
  onClick,
  children,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { disabledReason: string | null; variant?: "primary" | "secondary" | "danger" | "ghost" }) {
  const id = useId();
  if (!disabledReason) {
    return (
      <Button variant={variant} onClick={onClick} {...props}>
        {children}
      </Button>
    );
  }
  return (
    <span className="group relative inline-flex">
      <Button
        variant={variant}
        aria-disabled="true"
        aria-describedby={`${id}-reason`}
        className="cursor-not-allowed opacity-50"
        onClick={(e) => e.preventDefault()}
        {...props}
      >
        {children}
      </Button>
      <span
        id={`${id}-reason`}
        role="tooltip"
        className="pointer-events-none invisible absolute top-full right-0 z-20 mt-1 w-64 rounded-md bg-slate-900 px-2 py-1.5 text-xs font-normal text-white shadow-lg group-focus-within:visible group-hover:visible"
      >
        {disabledReason}
      </span>
    </span>
  );
}
