import { randomBytes } from "node:crypto";
import { accounts, users } from "@/drizzle/schema";
import type { Db } from "../db";
import type { Actor } from "../services/auth/actor";
import { hashPassword } from "../services/auth/passwords";

export const TEST_PASSWORD = "correct-horse-42";
let cachedHash: Promise<string> | undefined;

/** A new account with one user; every test makes its own so tests never share rows. */
export async function createTestAccount(db: Db, options: { isAccountOwner?: boolean } = {}) {
  cachedHash ??= hashPassword(TEST_PASSWORD);
  const suffix = randomBytes(6).toString("hex");
  const [account] = await db.insert(accounts).values({ name: `Test ${suffix}` }).returning();
  const [user] = await db
    .insert(users)
    .values({
      accountId: account!.id,
      email: `user-${suffix}@example.test`,
      name: `User ${suffix}`,
      passwordHash: await cachedHash,
      isAccountOwner: options.isAccountOwner ?? true,
    })
    .returning();
  const actor: Actor = {
    type: "user",
    userId: user!.id,
    accountId: account!.id,
    email: user!.email,
    name: user!.name,
    isAccountOwner: user!.isAccountOwner,
  };
  return { account: account!, user: user!, actor };
}
