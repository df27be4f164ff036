"use client";

import { layoutBytesOf, mountPointsOf } from "@/agent/src/protocol/v1/disk-layout";
import { formatBytes } from "@/components/servers/format";
import type { IssueMap } from "@/components/templates/issues";
import { CheckboxField } from "@/components/ui/checkbox";
import { Field } from "@/components/ui/field";
import { Fieldset } from "@/components/ui/fieldset";
import { RadioOption } from "@/components/ui/radio";
import { disksToPrepare, targetDisksFor } from "@/server/services/tasks/target-preparation";
import { DiskTable, TargetDiskSelect } from "./disk-table";
import { fileTargetUnavailability, type FileTarget, type WizardContext } from "./wizard-model";


/** Onto disks: a target disk for each source disk that holds mounted filesystems, offering only those its layout fits on. */
function PreparedDisksTable({
  context,
  mapping,
  onChange,
  problems,
}: {
  context: WizardContext;
  mapping: Record<string, string>;
  onChange: (sourcePath: string, targetPath: string) => void;
  problems: IssueMap;
}) {
  const targetDisks = context.target?.capabilities?.disks ?? [];
  return (
    <DiskTable label="Target disks" sizeHeading="Layout needs">
      {disksToPrepare(context.sourceDisks).map((disk) => {
        const fitting = targetDisksFor(disk, targetDisks);
        return (
          <tr key={disk.path}>
            <th scope="row" className="px-3 py-2 text-left align-top font-medium text-slate-800">
              <span className="font-mono">{disk.path}</span>
              <span className="ml-2 text-xs font-normal text-slate-500">{mountPointsOf(disk).join(", ")}</span>
            </th>
            <td className="px-3 py-2 align-top tabular-nums">{formatBytes(layoutBytesOf(disk))}</td>
            <TargetDiskSelect
              sourcePath={disk.path}
              value={mapping[disk.path] ?? ""}
              onChange={(target) => onChange(disk.path, target)}
              error={problems[`disk:${disk.path}`]}
              errorId={`prepared-disk-error-${disk.name}`}
            >
              <option value="">{fitting.length ? "Choose a target disk" : "No block device of the target is large enough"}</option>
              {fitting.map((t) => (
                <option key={t.path} value={t.path}>
                  {t.path} — {formatBytes(t.sizeBytes)}
                </option>
              ))}
            </TargetDiskSelect>
          </tr>
        );
      })}
    </DiskTable>
  );
}

/**
 * File level: where the files go on the target, into a folder below its file root (with the
 * source folder to copy) or onto its disks, partitioned and formatted like the source's.
 */
export function FileTargetFields({
  context,
  fileTarget,
  onFileTarget,
  sourceRoot,
  onSourceRoot,
  mapping,
  onMapping,
  isSameUuids,
  onSameUuids,
  errors,
  isLoadingSource,
}: {
  context: WizardContext;
  fileTarget: FileTarget;
  onFileTarget: (value: FileTarget) => void;
  sourceRoot: string;
  onSourceRoot: (value: string) => void;
  mapping: Record<string, string>;
  onMapping: (sourcePath: string, targetPath: string) => void;
  isSameUuids: boolean;
  onSameUuids: (value: boolean) => void;
  /** Schema and live problems: "fileTarget", "sourceRoot", "diskMapping", "disk:<source path>". */
  errors: IssueMap;
  isLoadingSource: boolean;
}) {
  const unavailable = fileTargetUnavailability(context);
  const fileRoot = context.target?.capabilities?.fileRoot ?? null;
  return (
    <>
      <Fieldset legend="Where the files go" role="radiogroup" error={errors.fileTarget}>
        <div className="grid gap-2 sm:grid-cols-2">
          <RadioOption
            name="fileTarget"
            value="folder"
            label="Into a folder"
            checked={fileTarget === "folder"}
            disabled={unavailable.folder !== null}
            onChange={() => onFileTarget("folder")}
            description={unavailable.folder ? `Not available: ${unavailable.folder}` : `A new folder below ${fileRoot ?? "the target's file root"}.`}
          />
          <RadioOption
            name="fileTarget"
            value="disks"
            label="Onto the target's disks, prepared like the source's"
            checked={fileTarget === "disks"}
            disabled={unavailable.disks !== null}
            onChange={() => onFileTarget("disks")}
            description={
              unavailable.disks
                ? `Not available: ${unavailable.disks}`
                : "The first pass partitions each target disk like its source disk, makes the same filesystems with the same labels and mounts them; then the whole system is copied. LVM and RAID layouts are not recreated."
            }
          />
        </div>
      </Fieldset>
      {fileTarget === "folder" ? (
        <Fieldset legend="Folders">
          <div className="max-w-md">
            <Field
              label="Source folder"
              value={sourceRoot}
              onChange={(e) => onSourceRoot(e.target.value)}
              error={errors.sourceRoot}
              hint={fileRoot ? `Copied into a new folder below ${fileRoot} on the target. "/" copies the whole system.` : '"/" copies the whole system.'}
            />
          </div>
        </Fieldset>
      ) : (
        <Fieldset legend="Target disks" error={errors.diskMapping} hint="Everything on a chosen target disk is erased. Each takes one source disk and must hold its partition layout (the last partition grows into a larger disk).">
          {isLoadingSource ? (
            <p role="status" className="text-sm text-slate-500">
              Loading the source&apos;s disks…
            </p>
          ) : !context.target ? (
            <p className="text-sm text-slate-500">Choose a target server to choose its disks.</p>
          ) : (
            <PreparedDisksTable context={context} mapping={mapping} onChange={onMapping} problems={errors} />
          )}
          <CheckboxField
            label="Keep the source's filesystem UUIDs"
            hint="Off: new UUIDs are made, and /etc/fstab and the boot loader are rewritten to them at launch."
            checked={isSameUuids}
            onChange={(e) => onSameUuids(e.target.checked)}
          />
        </Fieldset>
      )}
    </>
  );
}
