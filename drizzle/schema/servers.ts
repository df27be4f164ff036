import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { createdAt, id, timestamptz, updatedAt } from "./columns";

/** A source agent migrates its server away; a target agent receives and writes. */
export const serverRole = pgEnum("server_role", ["source", "target"]);

/**
 * Servers whose agent registered: sources, and targets (role) that receive. Re-registration
 * updates the row (same agent id). Both use the same heartbeat, command channel and logs.
 */
export const sourceServers = pgTable(
  "source_servers",
  {
    id: id(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    agentId: uuid().notNull(),
    role: serverRole().notNull().default("source"),
    /** Targets only: what they can receive into (agent/src/protocol/v1/register.ts). */
    targetCapabilities: jsonb().$type<unknown>(),
    hostname: text().notNull(),
    osName: text().notNull().default(""),
    /** The report's IP addresses, space-separated, for search and the list (loopback left out). */
    ipAddresses: text().notNull().default(""),
    /** The agent's last report (agent/src/protocol/v1/report.ts). */
    report: jsonb().notNull().$type<unknown>(),
    /** The feasibility check of that report (server/services/servers/feasibility.ts). */
    feasibility: jsonb().$type<unknown>(),
    /** The access key the agent signs with. */
    accessKeyId: text(),
    /** Connected or offline is computed from this at read time, never stored. */
    lastHeartbeatAt: timestamptz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("source_servers_account_id_agent_id_idx").on(t.accountId, t.agentId), index("source_servers_account_id_idx").on(t.accountId)],
);

/**
 * queued → delivered (poll; again on each poll until acknowledged) → acked → succeeded | failed.
 * A result may also arrive straight after delivery, when the agent had already run the command.
 */
export const sourceCommandState = pgEnum("source_command_state", ["queued", "delivered", "acked", "succeeded", "failed"]);
export const sourceCommandType = pgEnum("source_command_type", ["refresh", "collect_logs", "stop", "task_receive", "task_send", "task_abort", "task_launch", "task_cleanup"]);

/** Commands for a source agent, delivered by its long poll until it acknowledges them. */
export const sourceCommands = pgTable(
  "source_commands",
  {
    id: id(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    serverId: uuid()
      .notNull()
      .references(() => sourceServers.id, { onDelete: "cascade" }),
    type: sourceCommandType().notNull(),
    payload: jsonb().notNull().$type<Record<string, unknown>>().default({}),
    state: sourceCommandState().notNull().default("queued"),
    deliveredCount: integer().notNull().default(0),
    /** What the agent reported: { message, details? }. */
    result: jsonb().$type<{ message: string; details?: Record<string, unknown> }>(),
    /** Who queued it, for the console's list. */
    createdBy: uuid(),
    createdAt: createdAt(),
    deliveredAt: timestamptz(),
    ackedAt: timestamptz(),
    finishedAt: timestamptz(),
  },
  (t) => [
    index("source_commands_account_id_server_id_created_at_idx").on(t.accountId, t.serverId, t.createdAt),
    // What the long poll looks for, twice a second per waiting agent.
    index("source_commands_server_id_pending_idx").on(t.serverId).where(sql`${t.state} in ('queued', 'delivered')`),
  ],
);

/** Log excerpts agents uploaded (collect_logs), downloadable in the console. */
export const agentLogs = pgTable(
  "agent_logs",
  {
    id: id(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    serverId: uuid()
      .notNull()
      .references(() => sourceServers.id, { onDelete: "cascade" }),
    commandId: uuid().references(() => sourceCommands.id, { onDelete: "set null" }),
    fileName: text().notNull(),
    sizeBytes: bigint({ mode: "number" }).notNull(),
    isTruncated: boolean().notNull().default(false),
    content: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("agent_logs_account_id_server_id_created_at_idx").on(t.accountId, t.serverId, t.createdAt)],
);
