import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { accessKeys, groupMembers, groups, policyAttachments, users } from "@/drizzle/schema";
import { assertCan } from "../../authz/assert-can";
import { badRequest, conflict, notFound } from "../../errors";
import { audited } from "../audit/audited";
import { recordAudit } from "../audit/record";
import { hashPassword, verifyPassword } from "../auth/passwords";
import type { ServiceContext } from "../context";
import { assertAnotherAdminRemains } from "./admins";
import {
  changePasswordSchema,
  createUserSchema,
  setUserEnabledSchema,
  updateUserSchema,
  userIdSchema,
  type ChangePasswordInput,
  type CreateUserInput,
} from "./schemas";

export type UserDto = {
  id: string;
  email: string;
  name: string;
  isEnabled: boolean;
  isAccountOwner: boolean;
  mustChangePassword: boolean;
  lastSignInAt: Date | null;
  createdAt: Date;
  groups: { id: string; name: string; isAdmin: boolean }[];
};

async function groupsByUser(ctx: ServiceContext, userIds: string[]) {
  if (!userIds.length) return new Map<string, UserDto["groups"]>();
  const rows = await ctx.db
    .select({ userId: groupMembers.userId, id: groups.id, name: groups.name, isAdmin: groups.isAdmin })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(and(eq(groupMembers.accountId, ctx.actor.accountId), inArray(groupMembers.userId, userIds)))
    .orderBy(asc(groups.name));
  const map = new Map<string, UserDto["groups"]>();
  for (const { userId, ...group } of rows) map.set(userId, [...(map.get(userId) ?? []), group]);
  return map;
}

function toDto(row: typeof users.$inferSelect, memberOf: UserDto["groups"]): UserDto {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    isEnabled: !row.disabledAt,
    isAccountOwner: row.isAccountOwner,
    mustChangePassword: row.mustChangePassword,
    lastSignInAt: row.lastSignInAt,
    createdAt: row.createdAt,
    groups: memberOf,
  };
}

export async function listUsers(ctx: ServiceContext): Promise<UserDto[]> {
  await assertCan(ctx, "iam:user:list");
  const rows = await ctx.db.select().from(users).where(eq(users.accountId, ctx.actor.accountId)).orderBy(asc(users.email));
  const memberships = await groupsByUser(ctx, rows.map((r) => r.id));
  return rows.map((row) => toDto(row, memberships.get(row.id) ?? []));
}

export async function getUser(ctx: ServiceContext, input: { userId: string }): Promise<UserDto> {
  const { userId } = userIdSchema.parse(input);
  await assertCan(ctx, "iam:user:get");
  const [row] = await ctx.db.select().from(users).where(and(eq(users.id, userId), eq(users.accountId, ctx.actor.accountId)));
  if (!row) throw notFound("User");
  return toDto(row, (await groupsByUser(ctx, [row.id])).get(row.id) ?? []);
}

/** An administrator creates a user with an initial password the user must change at first sign-in. */
export async function createUser(ctx: ServiceContext, input: CreateUserInput) {
  const data = createUserSchema.parse(input);
  return audited(ctx, { action: "iam:user:create", resourceType: "user", details: { email: data.email } }, async (tx) => {
    const [taken] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${data.email}`);
    if (taken) throw conflict(`A user with the email ${data.email} already exists.`);
    const memberOf = data.groupIds.length
      ? await tx.select({ id: groups.id }).from(groups).where(and(eq(groups.accountId, ctx.actor.accountId), inArray(groups.id, data.groupIds)))
      : [];
    if (memberOf.length !== new Set(data.groupIds).size) throw notFound("User group");
    const [user] = await tx
      .insert(users)
      .values({
        accountId: ctx.actor.accountId,
        email: data.email,
        name: data.name,
        passwordHash: await hashPassword(data.initialPassword),
        mustChangePassword: true,
      })
      .returning();
    if (memberOf.length) {
      await tx.insert(groupMembers).values(memberOf.map((g) => ({ accountId: ctx.actor.accountId, groupId: g.id, userId: user!.id })));
    }
    return { value: { id: user!.id, email: user!.email }, resourceId: user!.id, resourceName: user!.email };
  });
}

export async function updateUser(ctx: ServiceContext, input: { userId: string; name: string }) {
  const data = updateUserSchema.parse(input);
  return audited(ctx, { action: "iam:user:update", resourceType: "user", resourceId: data.userId }, async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ name: data.name, updatedAt: new Date() })
      .where(and(eq(users.id, data.userId), eq(users.accountId, ctx.actor.accountId)))
      .returning();
    if (!row) throw notFound("User");
    return { value: { id: row.id }, resourceName: row.email };
  });
}

export async function setUserEnabled(ctx: ServiceContext, input: { userId: string; isEnabled: boolean }) {
  const data = setUserEnabledSchema.parse(input);
  const action = data.isEnabled ? "iam:user:enable" : "iam:user:disable";
  return audited(ctx, { action, resourceType: "user", resourceId: data.userId }, async (tx) => {
    const [row] = await tx.select().from(users).where(and(eq(users.id, data.userId), eq(users.accountId, ctx.actor.accountId))).for("update");
    if (!row) throw notFound("User");
    if (!data.isEnabled) await assertAnotherAdminRemains(tx, ctx.actor.accountId, row.id);
    await tx.update(users).set({ disabledAt: data.isEnabled ? null : new Date(), updatedAt: new Date() }).where(eq(users.id, row.id));
    return { value: { id: row.id, isEnabled: data.isEnabled }, resourceName: row.email };
  });
}

export async function deleteUser(ctx: ServiceContext, input: { userId: string }) {
  const { userId } = userIdSchema.parse(input);
  return audited(ctx, { action: "iam:user:delete", resourceType: "user", resourceId: userId }, async (tx) => {
    const [row] = await tx.select().from(users).where(and(eq(users.id, userId), eq(users.accountId, ctx.actor.accountId))).for("update");
    if (!row) throw notFound("User");
    if (row.id === ctx.actor.userId) throw badRequest("You cannot delete yourself. Ask another administrator.");
    await assertAnotherAdminRemains(tx, ctx.actor.accountId, row.id);
    await tx.delete(policyAttachments).where(and(eq(policyAttachments.principalType, "user"), eq(policyAttachments.principalId, row.id)));
    await tx.delete(accessKeys).where(eq(accessKeys.userId, row.id));
    await tx.delete(users).where(eq(users.id, row.id));
    return { value: { id: row.id }, resourceName: row.email };
  });
}

/** Self-service: every user may change their own password (and must, after an initial one). */
export async function changeOwnPassword(ctx: ServiceContext, input: ChangePasswordInput) {
  const data = changePasswordSchema.parse(input);
  const [row] = await ctx.db.select().from(users).where(eq(users.id, ctx.actor.userId));
  if (!row) throw notFound("User");
  if (!(await verifyPassword(data.currentPassword, row.passwordHash))) {
    throw badRequest("The current password is not right.");
  }
  const passwordHash = await hashPassword(data.newPassword);
  await ctx.db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, mustChangePassword: false, updatedAt: new Date() }).where(eq(users.id, row.id));
    await recordAudit(tx, {
      accountId: ctx.actor.accountId,
      actor: ctx.actor,
      meta: ctx.meta,
      operation: "iam:credential:changePassword",
      resourceType: "user",
      resourceId: row.id,
      resourceName: row.email,
      result: "success",
    });
  });
  return { ok: true as const };
}
