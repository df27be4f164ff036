import { and, eq, isNull } from "drizzle-orm";
import { accounts, users } from "@/drizzle/schema";
import type { Db } from "../../db";
import { actorFromUser, type Actor } from "./actor";

/**
 * Re-reads the session's user on every request, so a disabled or deleted user loses access
 * at once even though the session token is still valid.
 */
export async function loadActor(db: Db, userId: string): Promise<(Actor & { accountName: string; mustChangePassword: boolean }) | null> {
  const [row] = await db
    .select({ user: users, accountName: accounts.name })
    .from(users)
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .where(and(eq(users.id, userId), isNull(users.disabledAt)))
    .limit(1);
  if (!row) return null;
  return {
    ...actorFromUser(row.user),
    accountName: row.accountName,
    mustChangePassword: row.user.mustChangePassword,
  };
}
