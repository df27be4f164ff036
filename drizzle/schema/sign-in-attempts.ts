import { boolean, index, pgTable, text } from "drizzle-orm/pg-core";
import { createdAt, id } from "./columns";

/**
 * Every sign-in attempt, kept so failures can be throttled per email and per IP address
 * across all console instances (they share only PostgreSQL). Not account-scoped: it is
 * written before anyone is known.
 */
export const signInAttempts = pgTable(
  "sign_in_attempts",
  {
    id: id(),
    email: text().notNull(),
    ip: text().notNull(),
    succeeded: boolean().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index("sign_in_attempts_email_created_at_idx").on(t.email, t.createdAt),
    index("sign_in_attempts_ip_created_at_idx").on(t.ip, t.createdAt),
  ],
);
