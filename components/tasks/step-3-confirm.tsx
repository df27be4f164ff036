"use client";

import { formatBytes } from "@/components/servers/format";
import { describeLimit } from "@/components/templates/migration-settings-draft";
import { Alert } from "@/components/ui/alert";
import { CheckboxField } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import type { CreateTaskInput } from "@/server/services/tasks/schemas";
import type { TaskEstimate } from "@/server/services/tasks/estimate";
import { formatDuration, formatRate } from "./format";
import { type SourceDisk } from "./wizard-model";

function Row({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-3 gap-4 px-4 py-2">
      <dt className="text-sm font-medium text-slate-600">{term}</dt>
      <dd className="col-span-2 text-sm text-slate-900">{children}</dd>
    </div>
  );
}

const yesNo = (value: boolean) => (value ? "Yes" : "No");

export function ConfirmStep({
  headingRef,
  input,
  sourceName,
  targetName,
  sourceDisks,
  targetDirRoot,
  templateNames,
  estimate,
  isEstimating,
  estimateError,
  name,
  onName,
  onStartNow,
  errors,
  serverError,
}: {
  headingRef: React.Ref<HTMLHeadingElement>;
  input: CreateTaskInput;
  sourceName: string;
  targetName: string;
  sourceDisks: SourceDisk[];
  targetDirRoot: string | null;
  templateNames: { migration: string | null; server: string | null };
  estimate: TaskEstimate | undefined;
  isEstimating: boolean;
  estimateError: string | null;
  name: string;
  onName: (name: string) => void;
  onStartNow: (value: boolean) => void;
  errors: Record<string, string>;
  serverError: string | null;
}) {
  const s = input.settings;
  const sizeOf = (path: string) => sourceDisks.find((d) => d.path === path)?.sizeBytes;
  return (
    <section aria-labelledby="wizard-step-heading" className="space-y-6">
      <h2 id="wizard-step-heading" ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-none">
        Confirm
      </h2>
      {serverError ? <Alert>{serverError}</Alert> : null}
      <dl aria-label="Task summary" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        <Row term="Source">{sourceName}</Row>
        <Row term="Target">
          {targetName}
          {templateNames.server ? <span className="text-slate-500"> (server template {templateNames.server})</span> : null}
        </Row>
        <Row term="Level">{s.mode === "block" ? "Block level" : "File level"}</Row>
        {s.mode === "block" ? (
          <Row term="Disk mapping">
            <ul className="space-y-0.5">
              {input.diskMapping.map((m) => (
                <li key={m.sourceDisk}>
                  <span className="font-mono">{m.sourceDisk}</span> ({formatBytes(sizeOf(m.sourceDisk))}) → <span className="font-mono">{m.targetDisk}</span>
                </li>
              ))}
            </ul>
          </Row>
        ) : input.fileTarget === "disks" ? (
          <Row term="Target disks">
            <ul className="space-y-0.5">
              {input.diskMapping.map((m) => (
                <li key={m.sourceDisk}>
                  <span className="font-mono">{m.sourceDisk}</span> → <span className="font-mono">{m.targetDisk}</span>, partitioned and formatted like it (erased)
                </li>
              ))}
              <li>Filesystem UUIDs: {input.isSameUuids ? "the source's" : "new ones, rewritten in fstab and the boot loader at launch"}</li>
            </ul>
          </Row>
        ) : (
          <Row term="Folders">
            <span className="font-mono">{input.sourceRoot}</span> → a new folder below <span className="font-mono">{targetDirRoot ?? "the target's file root"}</span>
          </Row>
        )}
        <Row term="Options">
          <ul className="space-y-0.5">
            <li>Speed limit: {describeLimit(s)}</li>
            <li>Compression: {yesNo(s.compress)}</li>
            {s.mode === "block" ? <li>Continuous sync: {yesNo(s.continuousSync)}</li> : null}
            <li>Verify: {yesNo(s.verify)}</li>
            {s.mode === "file" ? <li>Exclusions: {s.excludes.length ? s.excludes.join(", ") : "none"}</li> : null}
            <li>Start target after migration: {yesNo(s.startTargetAfterMigration)}</li>
            {templateNames.migration ? <li className="text-slate-500">From the migration template {templateNames.migration}</li> : null}
          </ul>
        </Row>
        <Row term="Estimate">
          {isEstimating ? (
            <span role="status">Estimating…</span>
          ) : estimateError ? (
            <span className="text-slate-600">Could not estimate: {estimateError}</span>
          ) : estimate ? (
            <span data-testid="task-estimate">
              {estimate.bytesToMove === null ? "Data to move: unknown" : `Data to move: about ${formatBytes(estimate.bytesToMove)}`}{" "}
              <span className="text-slate-500">({estimate.basis})</span>
              <br />
              {estimate.seconds !== null && estimate.rateBytesPerSecond !== null
                ? `Time: about ${formatDuration(estimate.seconds)} at ${formatRate(estimate.rateBytesPerSecond, true)}, the fastest link speed measured recently`
                : "Time: unknown until the first pass measures the link speed"}
            </span>
          ) : null}
        </Row>
      </dl>
      <div className="max-w-md space-y-4">
        <Field label="Task name" value={name} onChange={(e) => onName(e.target.value)} error={errors.name} maxLength={64} />
        <CheckboxField label="Start now" hint="Start the full copy as soon as the task is created. Otherwise it waits, READY, until you start it." checked={input.startNow ?? false} onChange={(e) => onStartNow(e.target.checked)} />
      </div>
    </section>
  );
}
