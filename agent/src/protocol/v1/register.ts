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
