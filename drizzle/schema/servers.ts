import { index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accounts } from "./accounts";
import { createdAt, id, timestamptz, updatedAt } from "./columns";

/** Source servers whose agent registered. Re-registration updates the row (same agent id). */
export const sourceServers = pgTable(
  "source_servers",
  {
    id: id(),
    accountId: uuid()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    agentId: uuid().notNull(),
    hostname: text().notNull(),
    osName: text().notNull().default(""),
    /** The agent's last report (agent/src/protocol/v1/report.ts). */
    report: jsonb().notNull().$type<unknown>(),
    /** The feasibility check of that report (server/services/servers/feasibility.ts). */
    feasibility: jsonb().$type<unknown>(),
    /** The access key the agent signs with. */
    accessKeyId: text(),
    lastHeartbeatAt: timestamptz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("source_servers_account_id_agent_id_idx").on(t.accountId, t.agentId), index("source_servers_account_id_idx").on(t.accountId)],
);
