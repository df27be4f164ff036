import { and, asc, count, eq } from "drizzle-orm";
import { accessKeys, users } from "@/drizzle/schema";
import { assertCan, can } from "../../authz/assert-can";
import { generateAccessKeyPair } from "../../crypto/access-keys";
import { sealSecret } from "../../crypto/secret-box";
import { conflict, notFound } from "../../errors";
import { getSecrets } from "../../secrets";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { accessKeyIdSchema, createAccessKeySchema, listAccessKeysSchema, setAccessKeyStatusSchema } from "./schemas";

export const MAX_ACCESS_KEYS_PER_USER = 2;

/** The AAD binds a sealed SK to its account and AK: a row copied elsewhere will not open. */
export function secretKeyAad(accountId: string, accessKeyId: string) {
  return `ferry:access-key:${accountId}:${accessKeyId}`;
}

export type AccessKeyDto = {
  accessKeyId: string;
  userId: string;
  userEmail: string;
  description: string;
  status: "active" | "inactive";
  lastUsedAt: Date | null;
  createdAt: Date;
};

/** Your own keys, or (with iam:accessKey:listAll) another user's. */
export async function listAccessKeys(ctx: ServiceContext, input?: { userId?: string }): Promise<AccessKeyDto[]> {
  const { userId = ctx.actor.userId } = listAccessKeysSchema.parse(input ?? {});
  await assertCan(ctx, userId === ctx.actor.userId ? "iam:accessKey:list" : "iam:accessKey:listAll");
  return ctx.db
    .select({
      accessKeyId: accessKeys.accessKeyId,
      userId: accessKeys.userId,
      userEmail: users.email,
      description: accessKeys.description,
      status: accessKeys.status,
      lastUsedAt: accessKeys.lastUsedAt,
      createdAt: accessKeys.createdAt,
    })
    .from(accessKeys)
    .innerJoin(users, eq(users.id, accessKeys.userId))
    .where(and(eq(accessKeys.accountId, ctx.actor.accountId), eq(accessKeys.userId, userId)))
    .orderBy(asc(accessKeys.createdAt));
}

/**
 * Creates an AK/SK pair for yourself or another user of the account. The SK is returned this once
 * and stored only sealed under the master key.
 */
export async function createAccessKey(ctx: ServiceContext, input: { userId?: string; description?: string }) {
  const data = createAccessKeySchema.parse(input);
  const userId = data.userId ?? ctx.actor.userId;
  return audited(ctx, { action: "iam:accessKey:create", resourceType: "accessKey" }, async (tx) => {
    const [user] = await tx
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(and(eq(users.id, userId), eq(users.accountId, ctx.actor.accountId)))
      .for("update");
    if (!user) throw notFound("User");
    const [held] = await tx.select({ n: count() }).from(accessKeys).where(eq(accessKeys.userId, user.id));
    if ((held?.n ?? 0) >= MAX_ACCESS_KEYS_PER_USER) {
      throw conflict(`A user may hold at most ${MAX_ACCESS_KEYS_PER_USER} access keys. Delete one first.`);
    }
    const pair = generateAccessKeyPair();
    const sealedSecret = sealSecret(getSecrets().masterKey, pair.sk, secretKeyAad(ctx.actor.accountId, pair.ak));
    await tx.insert(accessKeys).values({
      accountId: ctx.actor.accountId,
      userId: user.id,
      accessKeyId: pair.ak,
      sealedSecret,
      description: data.description,
    });
    return {
      value: { accessKeyId: pair.ak, secretAccessKey: pair.sk, userEmail: user.email },
      resourceId: pair.ak,
      resourceName: `${pair.ak} (${user.email})`,
    };
  });
}

export async function setAccessKeyStatus(ctx: ServiceContext, input: { accessKeyId: string; status: "active" | "inactive" }) {
  const data = setAccessKeyStatusSchema.parse(input);
  return audited(ctx, { action: "iam:accessKey:update", resourceType: "accessKey", resourceId: data.accessKeyId, details: { status: data.status } }, async (tx) => {
    const [row] = await tx
      .update(accessKeys)
      .set({ status: data.status })
      .where(and(eq(accessKeys.accessKeyId, data.accessKeyId), eq(accessKeys.accountId, ctx.actor.accountId)))
      .returning();
    if (!row) throw notFound("Access key");
    return { value: { accessKeyId: row.accessKeyId, status: row.status }, resourceName: row.accessKeyId };
  });
}

export async function deleteAccessKey(ctx: ServiceContext, input: { accessKeyId: string }) {
  const { accessKeyId } = accessKeyIdSchema.parse(input);
  return audited(ctx, { action: "iam:accessKey:delete", resourceType: "accessKey", resourceId: accessKeyId }, async (tx) => {
    const removed = await tx
      .delete(accessKeys)
      .where(and(eq(accessKeys.accessKeyId, accessKeyId), eq(accessKeys.accountId, ctx.actor.accountId)))
      .returning({ accessKeyId: accessKeys.accessKeyId });
    if (!removed.length) throw notFound("Access key");
    return { value: { accessKeyId }, resourceName: accessKeyId };
  });
}

/** Whether the caller may manage another user's keys (for the UI; the verbs check anyway). */
export async function canManageOthersKeys(ctx: ServiceContext) {
  return can(ctx, "iam:accessKey:listAll");
}
