import { z } from "zod";
import { TASK_COMMAND_TYPES } from "./tasks";

// The command channel and liveness of a registered source agent. Every call names the agent by the
// stable id it registered with; the console resolves it within the access key's account, so a key
// of another account finds nothing (404).

const agentId = z.string().uuid();

/** POST /api/agent/v1/servers/heartbeat */
export const heartbeatRequestSchema = z.strictObject({ agentId });
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

export const heartbeatResponseSchema = z.object({
  serverId: z.string().uuid(),
  heartbeatIntervalSeconds: z.number().int().positive(),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;

export const COMMAND_TYPES = ["refresh", "collect_logs", "stop", ...TASK_COMMAND_TYPES] as const;
export const commandTypeSchema = z.enum(COMMAND_TYPES);
export type CommandType = z.infer<typeof commandTypeSchema>;

/** The longest a poll may wait on the console for a command (proxies often cut idle requests at 30 s). */
export const MAX_POLL_WAIT_SECONDS = 25;

/** POST /api/agent/v1/commands/poll — waits up to waitSeconds for commands, then answers (maybe none). */
export const pollCommandsRequestSchema = z.strictObject({
  agentId,
  waitSeconds: z.number().int().min(0).max(MAX_POLL_WAIT_SECONDS),
});
export type PollCommandsRequest = z.infer<typeof pollCommandsRequestSchema>;

export const deliveredCommandSchema = z.object({
  id: z.string().uuid(),
  type: commandTypeSchema,
  payload: z.record(z.string(), z.unknown()),
  /** 1 on first delivery; more when the agent did not acknowledge an earlier delivery. */
  deliveredCount: z.number().int().min(1),
});
export type DeliveredCommand = z.infer<typeof deliveredCommandSchema>;

export const pollCommandsResponseSchema = z.object({ commands: z.array(deliveredCommandSchema) });
export type PollCommandsResponse = z.infer<typeof pollCommandsResponseSchema>;

/** POST /api/agent/v1/commands/ack — the agent has recorded the command and will not be sent it again. */
export const ackCommandRequestSchema = z.strictObject({ agentId, commandId: z.string().uuid() });
export type AckCommandRequest = z.infer<typeof ackCommandRequestSchema>;

export const commandResultSchema = z.strictObject({
  /** One line for the console's command list. */
  message: z.string().max(2000),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type CommandResult = z.infer<typeof commandResultSchema>;

/** POST /api/agent/v1/commands/result — how the command ended. Reporting the same outcome again is harmless. */
export const reportCommandResultRequestSchema = z.strictObject({
  agentId,
  commandId: z.string().uuid(),
  outcome: z.enum(["succeeded", "failed"]),
  result: commandResultSchema,
});
export type ReportCommandResultRequest = z.infer<typeof reportCommandResultRequestSchema>;

/** Largest log excerpt an agent uploads at once; the agent sends the most recent part of its log. */
export const MAX_LOG_UPLOAD_BYTES = 1024 * 1024;

/** POST /api/agent/v1/logs */
export const uploadLogRequestSchema = z.strictObject({
  agentId,
  /** The collect_logs command this answers, if any. */
  commandId: z.string().uuid().nullable(),
  fileName: z.string().min(1).max(255).regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' and '-' only"),
  /** UTF-8 text, at most MAX_LOG_UPLOAD_BYTES bytes. */
  content: z.string().refine((text) => Buffer.byteLength(text, "utf8") <= MAX_LOG_UPLOAD_BYTES, {
    message: `a log upload may hold at most ${MAX_LOG_UPLOAD_BYTES} bytes`,
  }),
  /** True when the agent sent only the end of a longer log. */
  isTruncated: z.boolean(),
});
export type UploadLogRequest = z.infer<typeof uploadLogRequestSchema>;

export const uploadLogResponseSchema = z.object({ logId: z.string().uuid() });
