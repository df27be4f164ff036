import { layoutBytesOf } from "@/agent/src/protocol/v1/disk-layout";
import type { TargetCapabilities } from "@/agent/src/protocol/v1/register";
import type { SourceReport } from "@/agent/src/protocol/v1/report";
import { formatBytes } from "@/components/servers/format";
import { issueMapOf, type IssueMap } from "@/components/templates/issues";
import { settingsOfDraft, type MigrationSettingsDraft } from "@/components/templates/migration-settings-draft";
import type { FeasibilityResult } from "@/server/services/servers/feasibility";
import { configureTargetSchema, createTaskSchema, selectSourceSchema, type CreateTaskInput } from "@/server/services/tasks/schemas";
import { disksToPrepare, preparationProblems, targetDisksFor } from "@/server/services/tasks/target-preparation";
import type { ServerSettings } from "@/server/services/templates/schemas";

/** A source disk that is not migrated (data disks only; the system disk always is). */
export const SKIP_DISK = "__skip__";

export type SourceDisk = SourceReport["disks"][number];
export type TargetDisk = TargetCapabilities["disks"][number];
export type DiskMappingPolicy = ServerSettings["diskMappingPolicy"];
export type FileTarget = NonNullable<CreateTaskInput["fileTarget"]>;

/**
 * What the wizard holds across its steps. `null` means "not chosen by the user yet": the value
 * shown is derived (the default template, an automatic disk mapping, a suggested name), so that
 * data arriving later fills it in without overwriting anything the user typed.
 */
export type WizardState = {
  sourceServerId: string;
  targetServerId: string;
  serverTemplateId: string;
  migrationTemplateId: string | null;
  settings: MigrationSettingsDraft | null;
  mapping: Record<string, string> | null;
  sourceRoot: string;
  /** File level: into a folder, or onto the target's disks with a target disk per source disk. */
  fileTarget: FileTarget | null;
  prepareMapping: Record<string, string> | null;
  isSameUuids: boolean;
  name: string | null;
  startNow: boolean;
};

export const INITIAL_WIZARD_STATE: WizardState = {
  sourceServerId: "",
  targetServerId: "",
  serverTemplateId: "",
  migrationTemplateId: null,
  settings: null,
  mapping: null,
  sourceRoot: "/",
  fileTarget: null,
  prepareMapping: null,
  isSameUuids: true,
  name: null,
  startNow: false,
};

/** Source disks onto target disks by a server template's policy; "" where none fits. */
export function autoMapDisks(sourceDisks: SourceDisk[], targetDisks: TargetDisk[], policy: DiskMappingPolicy): Record<string, string> {
  const mapping: Record<string, string> = {};
  if (policy === "in-order") {
    sourceDisks.forEach((disk, i) => (mapping[disk.path] = targetDisks[i]?.path ?? ""));
    return mapping;
  }
  const free = [...targetDisks].sort((a, b) => a.sizeBytes - b.sizeBytes);
  // Largest source first, so a big disk is not left without a target by smaller ones.
  for (const disk of [...sourceDisks].sort((a, b) => b.sizeBytes - a.sizeBytes)) {
    const index = free.findIndex((t) => t.sizeBytes >= disk.sizeBytes);
    mapping[disk.path] = index >= 0 ? free.splice(index, 1)[0]!.path : "";
  }
  return mapping;
}

/** Onto the target's disks: each source disk to the smallest block device that takes its layout, largest layouts first. */
export function autoMapPrepared(sourceDisks: SourceDisk[], targetDisks: TargetDisk[]): Record<string, string> {
  const mapping: Record<string, string> = {};
  const taken = new Set<string>();
  for (const disk of disksToPrepare(sourceDisks).sort((a, b) => layoutBytesOf(b) - layoutBytesOf(a))) {
    const chosen = targetDisksFor(disk, targetDisks)
      .filter((t) => !taken.has(t.path))
      .sort((a, b) => a.sizeBytes - b.sizeBytes)[0];
    mapping[disk.path] = chosen?.path ?? "";
    if (chosen) taken.add(chosen.path);
  }
  return mapping;
}

/** The same words as the server's refusal, so the user reads one message wherever it is caught. */
export function diskTooSmallMessage(target: TargetDisk, source: SourceDisk): string {
  return `Target disk ${target.path} (${formatBytes(target.sizeBytes)}) is smaller than source disk ${source.path} (${formatBytes(source.sizeBytes)}). Choose a disk at least as large.`;
}

/** Problems of each mapped row that need the disks' sizes, which the schema cannot know. */
export function diskRowProblems(sourceDisks: SourceDisk[], targetDisks: TargetDisk[], mapping: Record<string, string>): Record<string, string> {
  const problems: Record<string, string> = {};
  const usedBy = new Map<string, string>();
  for (const disk of sourceDisks) {
    const chosen = mapping[disk.path] ?? "";
    if (chosen === "" || chosen === SKIP_DISK) continue;
    const target = targetDisks.find((t) => t.path === chosen);
    if (!target) problems[disk.path] = `The target server does not offer the disk ${chosen}.`;
    else if (target.sizeBytes < disk.sizeBytes) problems[disk.path] = diskTooSmallMessage(target, disk);
    else if (usedBy.has(chosen)) problems[disk.path] = `Target disk ${chosen} already receives ${usedBy.get(chosen)}. Choose another disk.`;
    usedBy.set(chosen, usedBy.get(chosen) ?? disk.path);
  }
  return problems;
}

export type WizardContext = {
  sourceDisks: SourceDisk[];
  feasibility: FeasibilityResult | null;
  target: { hostname: string; connection: "connected" | "offline"; capabilities: TargetCapabilities | null } | null;
};

/** The task the wizard would create, in the shape of the shared schema (not yet validated). */
export function createInputOf(
  state: WizardState,
  settings: MigrationSettingsDraft,
  mapping: Record<string, string>,
  name: string,
  sourceDisks: SourceDisk[],
  prepared: { fileTarget: FileTarget; mapping: Record<string, string> } = { fileTarget: "folder", mapping: {} },
): CreateTaskInput {
  const parsedSettings = settingsOfDraft(settings);
  const isOntoDisks = parsedSettings.mode === "file" && prepared.fileTarget === "disks";
  return {
    name,
    startNow: state.startNow,
    sourceServerId: state.sourceServerId,
    targetServerId: state.targetServerId,
    serverTemplateId: state.serverTemplateId || null,
    migrationTemplateId: state.migrationTemplateId || null,
    diskMapping:
      parsedSettings.mode === "block"
        ? sourceDisks.filter((d) => mapping[d.path] !== SKIP_DISK).map((d) => ({ sourceDisk: d.path, targetDisk: mapping[d.path] ?? "" }))
        : isOntoDisks
          ? disksToPrepare(sourceDisks).map((d) => ({ sourceDisk: d.path, targetDisk: prepared.mapping[d.path] ?? "" }))
          : [],
    sourceRoot: isOntoDisks ? "/" : state.sourceRoot,
    fileTarget: prepared.fileTarget,
    isSameUuids: state.isSameUuids,
    settings: parsedSettings,
  };
}

/** Why files cannot go into a folder, or onto the disks, of this target; null where they can. */
export function fileTargetUnavailability(context: WizardContext): Record<FileTarget, string | null> {
  const capabilities = context.target?.capabilities;
  if (!context.target || !capabilities) return { folder: null, disks: null };
  return {
    folder: capabilities.fileRoot ? null : `the target server ${context.target.hostname} offers no folder (start its agent with --file-root).`,
    disks: capabilities.disks.some((d) => d.kind === "device") ? null : `the target server ${context.target.hostname} offers no block devices (start its agent with --disk /dev/…).`,
  };
}

/** Onto disks: problems per source disk ("disk:<path>") and of the whole choice ("diskMapping"). */
export function preparedDiskProblems(sourceDisks: SourceDisk[], targetDisks: TargetDisk[], input: CreateTaskInput): IssueMap {
  const issues: IssueMap = {};
  for (const [key, message] of Object.entries(preparationProblems(sourceDisks, targetDisks, input.diskMapping))) issues[key === "" ? "diskMapping" : `disk:${key}`] = message;
  return issues;
}

export function validateSourceStep(state: WizardState): IssueMap {
  const parsed = selectSourceSchema.safeParse({ sourceServerId: state.sourceServerId });
  return parsed.success ? {} : issueMapOf(parsed.error);
}

/** Why a level cannot be used with this source and target, or null when it can. */
export function modeUnavailability(context: WizardContext): { block: string | null; file: string | null } {
  const check = context.feasibility;
  const block = check && !check.blockLevel.available ? (check.blockLevel.reason ?? "the source check does not allow it") : null;
  let file = check && !check.fileLevel.available ? (check.fileLevel.reason ?? "the source check does not allow it") : null;
  const where = fileTargetUnavailability(context);
  if (!file && context.target && where.folder && where.disks) {
    file = `the target server ${context.target.hostname} offers neither a folder (--file-root) nor block devices (--disk) for file-level tasks.`;
  }
  return { block, file };
}

/**
 * Step 2, with the server's schema (configureTargetSchema and the create schema's cross-field
 * rules), then what needs the servers' data: disk sizes, the chosen level's availability.
 * Keys: schema paths ("settings.windows.0.start"), "disk:<source path>" per mapped disk.
 */
export function validateTargetStep(input: CreateTaskInput, context: WizardContext, mapping: Record<string, string>): IssueMap {
  const issues: IssueMap = {};
  const step = configureTargetSchema.safeParse(input);
  if (!step.success) Object.assign(issues, issueMapOf(step.error));
  const whole = createTaskSchema.safeParse({ ...input, name: input.name || "unnamed" });
  if (!whole.success) {
    for (const [path, message] of Object.entries(issueMapOf(whole.error, (p) => p === "name" || p.startsWith("sourceServerId")))) issues[path] ??= message;
  }
  // Rows of the mapping are shown per source disk; the schema numbers only the mapped ones.
  const isOntoDisks = input.settings.mode === "file" && input.fileTarget === "disks";
  const mapped = isOntoDisks ? disksToPrepare(context.sourceDisks) : context.sourceDisks.filter((d) => mapping[d.path] !== SKIP_DISK);
  for (const [path, message] of Object.entries(issues)) {
    const match = /^diskMapping\.(\d+)\./.exec(path);
    if (match) {
      const disk = mapped[Number(match[1])];
      if (disk) issues[`disk:${disk.path}`] ??= message;
      delete issues[path];
    }
  }
  const mode = input.settings.mode;
  if (context.target && context.target.connection !== "connected") {
    issues.targetServerId ??= `The target server ${context.target.hostname} is offline. Start its agent (ferry-agent target), then try again.`;
  }
  const unavailable = modeUnavailability(context)[mode];
  if (unavailable) issues["settings.mode"] ??= `${mode === "block" ? "Block" : "File"}-level migration is not available: ${unavailable}`;
  if (mode === "block" && context.target) {
    const targetDisks = context.target.capabilities?.disks ?? [];
    if (targetDisks.length === 0) issues.diskMapping ??= `The target server ${context.target.hostname} offers no disks for block-level tasks (start its agent with --disk or --disks-dir).`;
    for (const [sourcePath, message] of Object.entries(diskRowProblems(context.sourceDisks, targetDisks, mapping))) issues[`disk:${sourcePath}`] ??= message;
    const system = context.sourceDisks.find((d) => d.isSystemDisk);
    if (system && mapping[system.path] === SKIP_DISK) issues[`disk:${system.path}`] ??= "The system disk is always migrated: choose a target disk for it.";
  }
  if (mode === "file" && context.target) {
    const unavailable = fileTargetUnavailability(context)[input.fileTarget ?? "folder"];
    if (unavailable) issues.fileTarget ??= `Not available: ${unavailable}`;
    if (isOntoDisks) for (const [key, message] of Object.entries(preparedDiskProblems(context.sourceDisks, context.target.capabilities?.disks ?? [], input))) issues[key] ??= message;
  }
  return issues;
}

export function validateConfirmStep(input: CreateTaskInput): IssueMap {
  const parsed = createTaskSchema.safeParse(input);
  return parsed.success ? {} : issueMapOf(parsed.error);
}
