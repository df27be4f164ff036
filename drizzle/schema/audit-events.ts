import { index, jsonb, pgEnum, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { accountId } from "./accounts";
import { createdAt, id } from "./columns";

export const auditResult = pgEnum("audit_result", ["success", "failure"]);

/** Append-only trail of every change (a trigger refuses UPDATE and DELETE). */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: id(),
    accountId: accountId(),
    occurredAt: createdAt(),
    userId: uuid(),
    userName: text(),
    accessKeyId: text(),
    sourceIp: text(),
    operation: text().notNull(),
    resourceType: text(),
    resourceId: text(),
    resourceName: text(),
    result: auditResult().notNull(),
    errorCode: text(),
    details: jsonb().$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_events_account_id_occurred_at_idx").on(t.accountId, t.occurredAt)],
);
