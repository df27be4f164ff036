import { z } from "zod";
import { diskSchema } from "./report";

// Migration tasks on the agents. The console drives a pass (the full migration or an incremental
// sync) with commands on the ordinary command channel (control.ts):
//   1. task_receive → the target agent starts a receiver for the pass and answers with the address
//      it listens on (command result details: TaskReceiveResult).
//   2. task_send → the source agent sends to that address, reporting progress (POST
//      /api/agent/v1/tasks/progress) about every second, and answers with the verified outcome
//      (command result details: TaskSendResult).
//   3. task_abort stops a pass on either side; task_launch configures and starts the target.
// The data goes source → target directly over TLS 1.3 with certificates issued per pass by the
// console (certificates.ts): each agent makes its key itself and sends only a CSR; task_send carries
// the target's certificate for the source to pin. The console never carries the data.

export const TASK_COMMAND_TYPES = ["task_receive", "task_send", "task_abort", "task_launch", "task_cleanup"] as const;
export type TaskCommandType = (typeof TASK_COMMAND_TYPES)[number];

export const migrationModeSchema = z.enum(["block", "file"]);
export type MigrationMode = z.infer<typeof migrationModeSchema>;

const passRef = {
  taskId: z.string().uuid(),
  /** One id per pass (the full copy, then each sync). */
  passId: z.string().uuid(),
};

/** Where a source disk goes on the target: a block device or an image file the target registered. */
export const diskPairSchema = z.strictObject({
  /** Source disk path, e.g. /dev/sda or an image file. */
  sourcePath: z.string().min(1).max(4096),
  /** The name the pass uses for it on the wire (unique within the task). */
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  /** Target disk path the receiver writes to. */
  targetPath: z.string().min(1).max(4096),
});
export type DiskPair = z.infer<typeof diskPairSchema>;

export const transferOptionsSchema = z.strictObject({
  /** Bytes per second; null for no limit. */
  limitBytesPerSecond: z.number().int().positive().nullable(),
  compress: z.boolean(),
  /** File level: glob patterns left out of the copy. */
  excludes: z.array(z.string().min(1).max(4096)).max(100),
});
export type TransferOptions = z.infer<typeof transferOptionsSchema>;

/**
 * File level onto the target's disks: each source disk's layout (from the source's latest report)
 * and the target disk it is recreated on (disk-layout.ts, prepare-target.ts).
 */
export const targetPreparationSchema = z.strictObject({
  disks: z.array(z.strictObject({ source: diskSchema, targetPath: z.string().min(1).max(4096) })).min(1).max(32),
  /** Make the filesystems with the source's UUIDs; else new ones, and the launch rewrites the references. */
  isSameUuids: z.boolean(),
});
export type TargetPreparation = z.infer<typeof targetPreparationSchema>;

/** Payload of task_receive, for the target agent. */
export const taskReceivePayloadSchema = z.strictObject({
  ...passRef,
  mode: migrationModeSchema,
  isSync: z.boolean(),
  /** Block level: the disks to write. */
  disks: z.array(diskPairSchema).max(32),
  /** File level: the folder the files land in (null when they go onto prepared disks). */
  outDir: z.string().min(1).max(4096).nullable(),
  /** File level onto disks prepared like the source's, mounted under a staging root; absent for a folder. */
  prepare: targetPreparationSchema.optional(),
});
export type TaskReceivePayload = z.infer<typeof taskReceivePayloadSchema>;

/** What the target prepared for a pass (or found prepared by an earlier one), for the task's log. */
export const preparationReportSchema = z.strictObject({
  isReused: z.boolean(),
  disks: z
    .array(
      z.strictObject({
        device: z.string().min(1).max(4096),
        partitions: z
          .array(
            z.strictObject({
              path: z.string().min(1).max(4096),
              fsType: z.string().max(256).nullable(),
              label: z.string().max(256).nullable(),
              uuid: z.string().max(256).nullable(),
              mountPoint: z.string().max(4096).nullable(),
            }),
          )
          .max(256),
      }),
    )
    .max(32),
});
export type PreparationReport = z.infer<typeof preparationReportSchema>;

/** The report in plain words, for the agent's answer and the task's events. */
export function describePreparation(report: PreparationReport): string {
  const disks = report.disks.map((d) => {
    const parts = d.partitions.map((p) =>
      [p.path, p.fsType ?? "no filesystem", p.label ? `"${p.label}"` : null, p.uuid ? `UUID ${p.uuid}` : null, p.mountPoint ? `at ${p.mountPoint}` : null].filter(Boolean).join(" "),
    );
    return `${d.device} (${parts.join("; ")})`;
  });
  return `${report.isReused ? "Prepared by an earlier pass and mounted" : "Prepared like the source's disks and mounted"}: ${disks.join(", ")}.`;
}

export const taskReceiveResultSchema = z.strictObject({
  /** host:port the source should connect to. */
  address: z.string().min(3).max(300),
  /** File level onto prepared disks: what is on them. */
  preparation: preparationReportSchema.optional(),
});

/** Payload of task_send, for the source agent. */
export const taskSendPayloadSchema = z.strictObject({
  ...passRef,
  mode: migrationModeSchema,
  isSync: z.boolean(),
  /** The target's certificate for this pass (PEM), as the console issued it: the source pins it. */
  targetCertPem: z.string().min(1).max(8192),
  /** host:port of the target's receiver for this pass. */
  targetAddress: z.string().min(3).max(300),
  disks: z.array(diskPairSchema).max(32),
  /** File level: the source folder to copy. */
  sourceRoot: z.string().min(1).max(4096).nullable(),
  options: transferOptionsSchema,
});
export type TaskSendPayload = z.infer<typeof taskSendPayloadSchema>;

export const taskSendResultSchema = z.strictObject({
  bytesTotal: z.number().nonnegative(),
  bytesSent: z.number().nonnegative(),
  /** "verified N of N chunks" (block) or files compared (file). */
  verifiedCount: z.number().int().nonnegative(),
  totalCount: z.number().int().nonnegative(),
  summary: z.string().max(2000),
});
export type TaskSendResult = z.infer<typeof taskSendResultSchema>;

/** Payload of task_cleanup: the task was deleted; the target drops its staging (checkpoints, pass records), never the migrated data. */
export const taskCleanupPayloadSchema = z.strictObject({ taskId: z.string().uuid() });

export const taskAbortPayloadSchema = z.strictObject({ taskId: z.string().uuid(), passId: z.string().uuid().nullable() });

export const taskLaunchPayloadSchema = z.strictObject({
  taskId: z.string().uuid(),
  mode: migrationModeSchema,
  /** File level: the migrated root to configure (fstab, boot loader, network). */
  outDir: z.string().min(1).max(4096).nullable(),
  hostname: z.string().max(253).nullable(),
  /** From a server template: keep the source's addresses (null), or set a static IPv4 address at launch. */
  network: z
    .strictObject({
      address: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/),
      gateway: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/),
      dns: z.array(z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/)).max(3),
    })
    .nullable()
    .optional(),
});
export type TaskLaunchPayload = z.infer<typeof taskLaunchPayloadSchema>;

/** POST /api/agent/v1/tasks/progress — sent by the source agent about every second during a pass. */
export const taskProgressRequestSchema = z.strictObject({
  agentId: z.string().uuid(),
  ...passRef,
  phase: z.enum(["prepare", "copy", "verify"]),
  bytesTotal: z.number().nonnegative(),
  bytesDone: z.number().nonnegative(),
  /** Bytes on the wire so far (after compression). */
  bytesSent: z.number().nonnegative(),
  rateBytesPerSecond: z.number().nonnegative(),
  disks: z
    .array(z.strictObject({ name: z.string().max(64), bytesDone: z.number().nonnegative(), bytesTotal: z.number().nonnegative() }))
    .max(32),
  host: z.strictObject({
    cpuPercent: z.number().min(0).max(100),
    memoryUsedBytes: z.number().nonnegative(),
    memoryTotalBytes: z.number().nonnegative(),
    diskReadBytesPerSecond: z.number().nonnegative(),
  }),
  agent: z.strictObject({ cpuPercent: z.number().min(0).max(6400), rssBytes: z.number().nonnegative() }),
});
export type TaskProgressRequest = z.infer<typeof taskProgressRequestSchema>;

export const taskProgressResponseSchema = z.object({
  /** False when the pass was aborted or superseded: the agent should stop sending. */
  shouldContinue: z.boolean(),
  /** The current speed limit (the user may change it while the pass runs). */
  limitBytesPerSecond: z.number().int().positive().nullable(),
});
export type TaskProgressResponse = z.infer<typeof taskProgressResponseSchema>;
