import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgEnum, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { accountId, users } from "./accounts";
import { createdAt, id, timestamptz, updatedAt } from "./columns";

/** User groups. The account's "admin" group is created by setup and cannot be deleted. */
export const groups = pgTable(
  "groups",
  {
    id: id(),
    accountId: accountId(),
    name: text().notNull(),
    description: text().notNull().default(""),
    /** The administrators' group: holds IAM FullAccess and SMS FullAccess for good. */
    isAdmin: boolean().notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("groups_account_id_name_idx").on(t.accountId, sql`lower(${t.name})`)],
);

export const groupMembers = pgTable(
  "group_members",
  {
    accountId: accountId(),
    groupId: uuid()
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index("group_members_user_id_idx").on(t.userId)],
);

/** Custom policies. System policies live in code (server/authz/system-policies.ts). */
export const policies = pgTable(
  "policies",
  {
    id: id(),
    accountId: accountId(),
    name: text().notNull(),
    description: text().notNull().default(""),
    document: jsonb().notNull().$type<unknown>(),
    /** Optimistic lock: an edit names the version it started from. */
    version: integer().notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("policies_account_id_name_idx").on(t.accountId, sql`lower(${t.name})`)],
);

export const principalType = pgEnum("principal_type", ["user", "group"]);

/** A policy (custom, or a system policy by its fixed id) attached to a user or a group. */
export const policyAttachments = pgTable(
  "policy_attachments",
  {
    id: id(),
    accountId: accountId(),
    policyId: uuid().notNull(),
    principalType: principalType().notNull(),
    principalId: uuid().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("policy_attachments_principal_policy_idx").on(t.principalType, t.principalId, t.policyId),
    index("policy_attachments_policy_id_idx").on(t.policyId),
  ],
);

export const accessKeyStatus = pgEnum("access_key_status", ["active", "inactive"]);

/** AK/SK pairs. The SK is sealed with AES-256-GCM under the master key (AAD: account id and AK). */
export const accessKeys = pgTable(
  "access_keys",
  {
    id: id(),
    accountId: accountId(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    accessKeyId: text().notNull(),
    sealedSecret: text().notNull(),
    description: text().notNull().default(""),
    status: accessKeyStatus().notNull().default("active"),
    lastUsedAt: timestamptz(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("access_keys_access_key_id_idx").on(t.accessKeyId), index("access_keys_user_id_idx").on(t.userId)],
);

/** Nonces of signed agent requests seen within the clock-skew window: a replay is refused. */
export const requestNonces = pgTable(
  "request_nonces",
  {
    accessKeyId: text().notNull(),
    nonce: text().notNull(),
    expiresAt: timestamptz().notNull(),
  },
  (t) => [primaryKey({ columns: [t.accessKeyId, t.nonce] }), index("request_nonces_expires_at_idx").on(t.expiresAt)],
);
