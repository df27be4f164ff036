"use client";

import Link from "next/link";
import { formatBytes } from "@/components/servers/format";
import { issuesUnder, type IssueMap } from "@/components/templates/issues";
import type { MigrationSettingsDraft } from "@/components/templates/migration-settings-draft";
import { MigrationOptionsFields, ModeFields } from "@/components/templates/migration-settings-fields";
import { DISK_MAPPING_POLICIES } from "@/components/templates/server-template-form";
import { Alert } from "@/components/ui/alert";
import { Fieldset } from "@/components/ui/fieldset";
import { SelectField } from "@/components/ui/select";
import type { ServerSummaryDto } from "@/server/services/servers/list";
import type { MigrationTemplateDto } from "@/server/services/templates/migration-templates";
import type { ServerTemplateDto } from "@/server/services/templates/server-templates";
import { DiskTable, TargetDiskSelect } from "./disk-table";
import { FileTargetFields } from "./file-target-fields";
import { modeUnavailability, SKIP_DISK, type FileTarget, type SourceDisk, type WizardContext } from "./wizard-model";

function DiskMappingTable({
  sourceDisks,
  context,
  mapping,
  onChange,
  errors,
  liveProblems,
}: {
  sourceDisks: SourceDisk[];
  context: WizardContext;
  mapping: Record<string, string>;
  onChange: (sourcePath: string, targetPath: string) => void;
  errors: IssueMap;
  liveProblems: Record<string, string>;
}) {
  const targetDisks = context.target?.capabilities?.disks ?? [];
  return (
    <DiskTable label="Disk mapping" sizeHeading="Size">
      {sourceDisks.map((disk) => (
        <tr key={disk.path}>
          <th scope="row" className="px-3 py-2 text-left align-top font-medium text-slate-800">
            <span className="font-mono">{disk.path}</span>
            {disk.isSystemDisk ? <span className="ml-2 text-xs font-normal text-slate-500">system disk</span> : null}
          </th>
          <td className="px-3 py-2 align-top tabular-nums">{formatBytes(disk.sizeBytes)}</td>
          <TargetDiskSelect
            sourcePath={disk.path}
            value={mapping[disk.path] ?? ""}
            onChange={(target) => onChange(disk.path, target)}
            error={liveProblems[disk.path] ?? errors[`disk:${disk.path}`]}
            errorId={`disk-error-${disk.name}`}
          >
            <option value="">Choose a target disk</option>
            {targetDisks.map((t) => (
              <option key={t.path} value={t.path}>
                {t.path} — {formatBytes(t.sizeBytes)}
                {t.sizeBytes < disk.sizeBytes ? " (too small)" : ""}
              </option>
            ))}
            {disk.isSystemDisk ? null : <option value={SKIP_DISK}>Don&apos;t migrate this disk</option>}
          </TargetDiskSelect>
        </tr>
      ))}
    </DiskTable>
  );
}

export function TargetStep({
  headingRef,
  context,
  targets,
  serverTemplates,
  migrationTemplates,
  targetServerId,
  serverTemplateId,
  migrationTemplateId,
  settings,
  mapping,
  sourceRoot,
  fileTarget,
  prepareMapping,
  isSameUuids,
  errors,
  liveDiskProblems,
  isLoadingSource,
  onTarget,
  onServerTemplate,
  onMigrationTemplate,
  onSettings,
  onMapping,
  onSourceRoot,
  onFileTarget,
  onPrepareMapping,
  onSameUuids,
}: {
  headingRef: React.Ref<HTMLHeadingElement>;
  context: WizardContext;
  targets: ServerSummaryDto[];
  serverTemplates: ServerTemplateDto[];
  migrationTemplates: MigrationTemplateDto[];
  targetServerId: string;
  serverTemplateId: string;
  migrationTemplateId: string;
  settings: MigrationSettingsDraft;
  mapping: Record<string, string>;
  sourceRoot: string;
  fileTarget: FileTarget;
  prepareMapping: Record<string, string>;
  isSameUuids: boolean;
  errors: IssueMap;
  /** Block level: by source disk path; onto prepared disks: "disk:<source path>" and "diskMapping". */
  liveDiskProblems: Record<string, string>;
  isLoadingSource: boolean;
  onTarget: (id: string) => void;
  onServerTemplate: (id: string) => void;
  onMigrationTemplate: (id: string) => void;
  onSettings: (draft: MigrationSettingsDraft) => void;
  onMapping: (sourcePath: string, targetPath: string) => void;
  onSourceRoot: (value: string) => void;
  onFileTarget: (value: FileTarget) => void;
  onPrepareMapping: (sourcePath: string, targetPath: string) => void;
  onSameUuids: (value: boolean) => void;
}) {
  const unavailable = modeUnavailability(context);
  const serverTemplate = serverTemplates.find((t) => t.id === serverTemplateId);
  return (
    <section aria-labelledby="wizard-step-heading" className="space-y-6">
      <h2 id="wizard-step-heading" ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-none">
        Configure target
      </h2>

      <Fieldset legend="Target server">
        {targets.length === 0 ? (
          <Alert>
            No target server is registered. Start the agent in target mode on the machine that takes over (<code>ferry-agent target --disk … | --file-root …</code>); see{" "}
            <Link className="font-medium underline" href="/targets">
              Target servers
            </Link>
            .
          </Alert>
        ) : null}
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField
            label="Server template"
            value={serverTemplateId}
            onChange={(e) => onServerTemplate(e.target.value)}
            hint={serverTemplate ? `${DISK_MAPPING_POLICIES[serverTemplate.settings.diskMappingPolicy].label} disk mapping; its network and host name apply at launch.` : "Optional: preselects its target server and disk mapping."}
          >
            <option value="">None</option>
            {serverTemplates.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </SelectField>
          <SelectField label="Target server" value={targetServerId} onChange={(e) => onTarget(e.target.value)} error={errors.targetServerId}>
            <option value="">Choose a target server</option>
            {targets.map((t) => (
              <option key={t.id} value={t.id} disabled={t.connection !== "connected"}>
                {t.hostname}
                {t.connection !== "connected" ? " (offline)" : ""}
                {t.targetCapabilities ? ` — ${t.targetCapabilities.disks.length} disk${t.targetCapabilities.disks.length === 1 ? "" : "s"}${t.targetCapabilities.fileRoot ? ", file root" : ""}` : ""}
              </option>
            ))}
          </SelectField>
        </div>
      </Fieldset>

      <ModeFields mode={settings.mode} onChange={(mode) => onSettings({ ...settings, mode })} unavailable={unavailable} error={errors["settings.mode"]} />

      {settings.mode === "block" ? (
        <Fieldset legend="Disk mapping" error={errors.diskMapping} hint="Each source disk goes to a target disk at least as large; a target disk takes one source disk.">
          {isLoadingSource ? (
            <p role="status" className="text-sm text-slate-500">
              Loading the source&apos;s disks…
            </p>
          ) : !context.target ? (
            <p className="text-sm text-slate-500">Choose a target server to map the disks.</p>
          ) : (
            <DiskMappingTable sourceDisks={context.sourceDisks} context={context} mapping={mapping} onChange={onMapping} errors={errors} liveProblems={liveDiskProblems} />
          )}
        </Fieldset>
      ) : (
        <FileTargetFields
          context={context}
          fileTarget={fileTarget}
          onFileTarget={onFileTarget}
          sourceRoot={sourceRoot}
          onSourceRoot={onSourceRoot}
          mapping={prepareMapping}
          onMapping={onPrepareMapping}
          isSameUuids={isSameUuids}
          onSameUuids={onSameUuids}
          errors={{ ...errors, ...liveDiskProblems }}
          isLoadingSource={isLoadingSource}
        />
      )}

      <Fieldset legend="Options">
        <div className="max-w-md">
          <SelectField
            label="Migration template"
            value={migrationTemplateId}
            onChange={(e) => onMigrationTemplate(e.target.value)}
            hint={migrationTemplates.length === 0 ? "No migration templates yet: set the options by hand." : "Choosing one fills the options below; you can still change them."}
          >
            <option value="">None (set by hand)</option>
            {migrationTemplates.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
                {t.isDefault ? " (default)" : ""}
              </option>
            ))}
          </SelectField>
        </div>
        <MigrationOptionsFields draft={settings} onChange={onSettings} errors={issuesUnder(errors, "settings")} />
      </Fieldset>
    </section>
  );
}
