import { randomBytes } from "node:crypto";
import { groupMembers, policyAttachments, users } from "@/drizzle/schema";
import type { Db } from "../db";
import { actorFromUser, type Actor } from "../services/auth/actor";
import { hashPassword } from "../services/auth/passwords";
import type { ServiceContext } from "../services/context";
import { provisionAccount } from "../services/setup/provision-account";

export const TEST_PASSWORD = "correct-horse-42";
let cachedHash: Promise<string> | undefined;
const passwordHash = () => (cachedHash ??= hashPassword(TEST_PASSWORD));

const toActor = (user: typeof users.$inferSelect): Actor => actorFromUser(user);

export function contextFor(db: Db, actor: Actor, ip = "127.0.0.1"): ServiceContext {
  return { db, actor, meta: { ip } };
}

/** A new account with its administrator, as first-run setup makes it; each test makes its own. */
export async function createTestAccount(db: Db) {
  const suffix = randomBytes(6).toString("hex");
  const hash = await passwordHash();
  const { account, user, adminGroup } = await db.transaction((tx) =>
    provisionAccount(tx, { accountName: `Test ${suffix}`, email: `admin-${suffix}@example.test`, name: `Admin ${suffix}`, passwordHash: hash }),
  );
  const actor = toActor(user);
  return { account, user, adminGroup, actor, ctx: contextFor(db, actor) };
}

/** Another user in the account, with the given policies attached directly (none by default). */
export async function createTestUser(db: Db, accountId: string, options: { policyIds?: string[]; groupIds?: string[] } = {}) {
  const suffix = randomBytes(6).toString("hex");
  const [user] = await db
    .insert(users)
    .values({ accountId, email: `user-${suffix}@example.test`, name: `User ${suffix}`, passwordHash: await passwordHash() })
    .returning();
  for (const policyId of options.policyIds ?? []) {
    await db.insert(policyAttachments).values({ accountId, policyId, principalType: "user", principalId: user!.id });
  }
  for (const groupId of options.groupIds ?? []) {
    await db.insert(groupMembers).values({ accountId, groupId, userId: user!.id });
  }
  const actor = toActor(user!);
  return { user: user!, actor, ctx: contextFor(db, actor) };
}
