import { z } from "zod";

export const serverIdSchema = z.object({ serverId: z.string().uuid() });
export type ServerIdInput = z.infer<typeof serverIdSchema>;

export const logIdSchema = z.object({ logId: z.string().uuid() });
export type LogIdInput = z.infer<typeof logIdSchema>;

export const SERVER_SORT_FIELDS = ["hostname", "lastHeartbeatAt", "createdAt"] as const;

export const listServersSchema = z.object({
  /** Source servers (the default) or target servers. */
  role: z.enum(["source", "target"]).default("source"),
  /** Matches the host name, an IP address or the OS name. */
  search: z.string().trim().max(200).optional(),
  connection: z.enum(["connected", "offline"]).optional(),
  verdict: z.enum(["pass", "warn", "fail"]).optional(),
  sort: z.enum(SERVER_SORT_FIELDS).default("hostname"),
  order: z.enum(["asc", "desc"]).default("asc"),
  page: z.number().int().min(1).max(100_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(25),
});
export type ListServersInput = z.input<typeof listServersSchema>;

// Task commands are queued only by the task services, never directly by a user.
export const queueCommandSchema = z.object({ serverId: z.string().uuid(), type: z.enum(["refresh", "collect_logs", "stop"]) });
export type QueueCommandInput = z.infer<typeof queueCommandSchema>;
