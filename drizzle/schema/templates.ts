import { sql } from "drizzle-orm";
import { boolean, index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accountId } from "./accounts";
import { createdAt, id, updatedAt } from "./columns";
import { sourceServers } from "./servers";

/**
 * Reusable migration settings (server/services/templates/schemas.ts has the shape of `settings`):
 * mode, speed limit and windows, compression, continuous sync, verification, exclusions, start
 * target after migration. At most one default per account.
 */
export const migrationTemplates = pgTable(
  "migration_templates",
  {
    id: id(),
    accountId: accountId(),
    name: text().notNull(),
    description: text().notNull().default(""),
    isDefault: boolean().notNull().default(false),
    settings: jsonb().notNull().$type<unknown>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("migration_templates_account_id_name_idx").on(t.accountId, sql`lower(${t.name})`),
    uniqueIndex("migration_templates_account_id_default_idx").on(t.accountId).where(sql`${t.isDefault}`),
  ],
);

/** Reusable target choices: target server, disk mapping policy, network settings at launch, hostname. */
export const serverTemplates = pgTable(
  "server_templates",
  {
    id: id(),
    accountId: accountId(),
    name: text().notNull(),
    description: text().notNull().default(""),
    targetServerId: uuid().references(() => sourceServers.id, { onDelete: "set null" }),
    settings: jsonb().notNull().$type<unknown>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("server_templates_account_id_name_idx").on(t.accountId, sql`lower(${t.name})`),
    index("server_templates_target_server_id_idx").on(t.targetServerId),
  ],
);
