import { z } from "zod";
import { sourceReportSchema } from "./report";

/** POST /api/agent/v1/servers/register — a source agent announces itself and its report. */
export const registerSourceRequestSchema = z.strictObject({
  /** Stable id the agent keeps in its state folder, so a restart is the same server. */
  agentId: z.string().uuid(),
  report: sourceReportSchema,
});
export type RegisterSourceRequest = z.infer<typeof registerSourceRequestSchema>;

export const registerSourceResponseSchema = z.object({
  serverId: z.string().uuid(),
  isNew: z.boolean(),
  heartbeatIntervalSeconds: z.number().int().positive(),
});
export type RegisterSourceResponse = z.infer<typeof registerSourceResponseSchema>;

/** Every agent API error answers this body. */
export const agentApiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type AgentApiError = z.infer<typeof agentApiErrorSchema>;

/** What a target agent offers: disks to write (block level) and a folder (file level). */
export const targetCapabilitiesSchema = z.strictObject({
  /** Host name or address sources can reach; the receiver picks a port for each pass. */
  receiveHost: z.string().min(1).max(253),
  disks: z
    .array(
      z.strictObject({
        path: z.string().min(1).max(4096),
        sizeBytes: z.number().int().nonnegative(),
        kind: z.enum(["device", "file"]),
      }),
    )
    .max(64),
  /** Folder that file-level migrations write into, or null when the target takes no file-level task. */
  fileRoot: z.string().min(1).max(4096).nullable(),
});
export type TargetCapabilities = z.infer<typeof targetCapabilitiesSchema>;

/** POST /api/agent/v1/targets/register — a target agent announces itself. Answers like a source registration. */
export const registerTargetRequestSchema = z.strictObject({
  agentId: z.string().uuid(),
  report: sourceReportSchema,
  target: targetCapabilitiesSchema,
});
export type RegisterTargetRequest = z.infer<typeof registerTargetRequestSchema>;
