import { z } from "zod";
import { migrationSettingsSchema } from "../templates/schemas";

const idSchema = z.string().uuid("Not a valid id");

/** One source disk and the target disk that receives it (block level). */
export const diskMappingEntrySchema = z.object({
  sourceDisk: z.string().min(1, "Choose a source disk").max(4096),
  targetDisk: z.string().min(1, "Choose a target disk for this source disk").max(4096),
});

/** Step 1 of the wizard. */
export const selectSourceSchema = z.object({
  sourceServerId: idSchema.or(z.literal("")).refine((v) => v !== "", "Choose a source server"),
});

/** Step 2 of the wizard: target, disks, how. */
export const configureTargetSchema = z.object({
  targetServerId: idSchema.or(z.literal("")).refine((v) => v !== "", "Choose a target server"),
  serverTemplateId: idSchema.nullable(),
  migrationTemplateId: idSchema.nullable(),
  /** Block level, or file level onto disks: every source disk to migrate (to prepare), each to its own target disk. */
  diskMapping: z.array(diskMappingEntrySchema).max(32),
  /** File level: the folder of the source to copy ("/" for the whole system). */
  sourceRoot: z.string().trim().startsWith("/", "Use an absolute path, e.g. /").max(4096).default("/"),
  /**
   * File level: into a new folder below the target's file root, or onto the target's disks,
   * partitioned and formatted like the source's (diskMapping names one per source disk).
   */
  fileTarget: z.enum(["folder", "disks"]).default("folder"),
  /** File level onto disks: make the filesystems with the source's UUIDs; off makes new ones, rewritten in fstab and the boot loader at launch. */
  isSameUuids: z.boolean().default(true),
  settings: migrationSettingsSchema,
});

export const createTaskSchema = z
  .object({
    name: z.string().trim().min(1, "Name the task").max(64, "Use at most 64 characters"),
    startNow: z.boolean().default(false),
  })
  .extend(selectSourceSchema.shape)
  .extend(configureTargetSchema.shape)
  .refine((v) => (v.settings.mode === "file" && v.fileTarget === "folder") || v.diskMapping.length > 0, {
    path: ["diskMapping"],
    message: "Map at least one source disk",
  })
  .refine((v) => !(v.settings.mode === "file" && v.fileTarget === "disks" && v.sourceRoot !== "/"), {
    path: ["sourceRoot"],
    message: "Onto the target's disks the whole system is copied: use / as the source folder",
  })
  .refine((v) => new Set(v.diskMapping.map((d) => d.targetDisk)).size === v.diskMapping.length, {
    path: ["diskMapping"],
    message: "Two source disks cannot go to the same target disk",
  })
  .refine((v) => !(v.settings.mode === "file" && v.settings.continuousSync), {
    path: ["settings", "continuousSync"],
    message: "Continuous sync is not available for file-level migration (as with SMS); run syncs by hand",
  });
export type CreateTaskInput = z.input<typeof createTaskSchema>;

export const taskIdSchema = z.object({ taskId: idSchema });
/** Actions on a task name the version the user saw, so a stale tab cannot act on a changed task. */
export const taskActionSchema = z.object({ taskId: idSchema, version: z.number().int().min(1) });
/** Launch, optionally after one last incremental sync (stop the services on the source first). */
export const launchTaskSchema = taskActionSchema.extend({ finalSync: z.boolean().default(false) });
export const setContinuousSyncSchema = taskActionSchema.extend({ isOn: z.boolean() });
export const setTaskLimitSchema = taskActionSchema.extend({ limitMbps: migrationSettingsSchema.shape.limitMbps });

export const listTasksSchema = z
  .object({
    state: z.string().max(40).optional(),
    search: z.string().trim().max(200).optional(),
  })
  .default({});
