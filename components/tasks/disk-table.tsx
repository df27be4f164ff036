"use client";

import type { ReactNode } from "react";

/**
 * The wizard's table of source disks, one row each, with the target disk chosen in the last
 * column: block level maps whole disks, file level onto disks maps layouts.
 */

const selectClass = "block w-full rounded-md border bg-white px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-brand-600";
const headClass = "px-3 py-2 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase";

export function DiskTable({ label, sizeHeading, children }: { label: string; sizeHeading: string; children: ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200">
      <table aria-label={label} className="min-w-full divide-y divide-slate-200 text-sm">
        <thead className="bg-slate-50">
          <tr>
            <th scope="col" className={headClass}>
              Source disk
            </th>
            <th scope="col" className={headClass}>
              {sizeHeading}
            </th>
            <th scope="col" className={headClass}>
              Target disk
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 bg-white">{children}</tbody>
      </table>
    </div>
  );
}

/** The target disk for one source disk, with its error under it; the options are the caller's. */
export function TargetDiskSelect({
  sourcePath,
  value,
  onChange,
  error,
  errorId,
  children,
}: {
  sourcePath: string;
  value: string;
  onChange: (targetPath: string) => void;
  error: string | undefined;
  errorId: string;
  children: ReactNode;
}) {
  return (
    <td className="px-3 py-2 align-top">
      <select
        aria-label={`Target disk for ${sourcePath}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        className={`${selectClass} ${error ? "border-red-500" : "border-slate-300"}`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      >
        {children}
      </select>
      {error ? (
        <p id={errorId} className="mt-1 text-sm text-red-600">
          {error}
        </p>
      ) : null}
    </td>
  );
}
