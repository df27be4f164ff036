import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, timestamptz, updatedAt } from "./columns";

/** An account is a tenant: it owns users and every resource row (`account_id`). */
export const accounts = pgTable("accounts", {
  id: id(),
  name: text().notNull(),
  createdAt: createdAt(),
});

/** The owning account of a row: every resource row carries one; deleting the account removes it. */
export const accountId = () =>
  uuid()
    .notNull()
    .references(() => accounts.id, { onDelete: "cascade" });

/** Console users. Emails are unique across accounts because sign-in asks only for the email. */
export const users = pgTable(
  "users",
  {
    id: id(),
    accountId: accountId(),
    email: text().notNull(),
    name: text().notNull(),
    passwordHash: text().notNull(),
    /** The account's first administrator, created by first-run setup. */
    isAccountOwner: boolean().notNull().default(false),
    mustChangePassword: boolean().notNull().default(false),
    disabledAt: timestamptz(),
    lastSignInAt: timestamptz(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_email_idx").on(sql`lower(${t.email})`),
    index("users_account_id_idx").on(t.accountId),
  ],
);
