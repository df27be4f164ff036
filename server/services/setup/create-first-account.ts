import { sql } from "drizzle-orm";
import { users } from "@/drizzle/schema";
import type { Db } from "../../db";
import { conflict } from "../../errors";
import { recordAudit } from "../audit/record";
import { actorFromUser, type RequestMeta } from "../auth/actor";
import { hashPassword } from "../auth/passwords";
import { provisionAccount } from "./provision-account";
import { createFirstAccountSchema, type CreateFirstAccountInput } from "./schemas";

// Serialises concurrent first-run setups (two tabs, two instances): only one may win.
const SETUP_LOCK_ID = 4_112_027;

/**
 * First-run setup: creates the first account and its administrator. Public by design, so it
 * refuses once any user exists; there is no default password anywhere.
 */
export async function createFirstAccount(db: Db, input: CreateFirstAccountInput, meta: RequestMeta) {
  const data = createFirstAccountSchema.parse(input);
  const passwordHash = await hashPassword(data.password);
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${SETUP_LOCK_ID})`);
    const [existing] = await tx.select({ id: users.id }).from(users).limit(1);
    if (existing) throw conflict("Ferry is already set up. Sign in instead.");
    const { account, user } = await provisionAccount(tx, { accountName: data.accountName, email: data.email, name: data.name, passwordHash });
    await recordAudit(tx, {
      accountId: account.id,
      actor: actorFromUser(user),
      meta,
      operation: "setup:createFirstAccount",
      resourceType: "account",
      resourceId: account.id,
      resourceName: account.name,
      result: "success",
    });
    return { accountId: account.id, userId: user.id, email: user.email };
  });
}
