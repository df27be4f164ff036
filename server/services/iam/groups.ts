import { and, asc, eq, sql } from "drizzle-orm";
import { groupMembers, groups, policyAttachments, users } from "@/drizzle/schema";
import { assertCan, forgetPermissions } from "../../authz/assert-can";
import type { Tx } from "../../db";
import { badRequest, conflict, notFound } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { assertAnotherAdminRemains } from "./admins";
import { createGroupSchema, groupIdSchema, groupMemberSchema, updateGroupSchema } from "./schemas";

export type GroupDto = {
  id: string;
  name: string;
  description: string;
  isAdmin: boolean;
  memberCount: number;
  createdAt: Date;
};

export async function listGroups(ctx: ServiceContext): Promise<GroupDto[]> {
  await assertCan(ctx, "iam:group:list");
  const rows = await ctx.db
    .select({
      id: groups.id,
      name: groups.name,
      description: groups.description,
      isAdmin: groups.isAdmin,
      createdAt: groups.createdAt,
      memberCount: sql<number>`(select count(*)::int from ${groupMembers} where ${groupMembers.groupId} = ${groups.id})`,
    })
    .from(groups)
    .where(eq(groups.accountId, ctx.actor.accountId))
    .orderBy(asc(groups.name));
  return rows;
}

export async function getGroup(ctx: ServiceContext, input: { groupId: string }) {
  const { groupId } = groupIdSchema.parse(input);
  await assertCan(ctx, "iam:group:get");
  const [group] = await ctx.db.select().from(groups).where(and(eq(groups.id, groupId), eq(groups.accountId, ctx.actor.accountId)));
  if (!group) throw notFound("User group");
  const members = await ctx.db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(groupMembers)
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .where(eq(groupMembers.groupId, group.id))
    .orderBy(asc(users.email));
  return { id: group.id, name: group.name, description: group.description, isAdmin: group.isAdmin, createdAt: group.createdAt, members };
}

async function assertNameFree(tx: Tx, accountId: string, name: string, exceptId?: string) {
  const [taken] = await tx
    .select({ id: groups.id })
    .from(groups)
    .where(and(eq(groups.accountId, accountId), sql`lower(${groups.name}) = lower(${name})`));
  if (taken && taken.id !== exceptId) throw conflict(`A user group named "${name}" already exists.`);
}

export async function createGroup(ctx: ServiceContext, input: { name: string; description?: string }) {
  const data = createGroupSchema.parse(input);
  return audited(ctx, { action: "iam:group:create", resourceType: "group" }, async (tx) => {
    await assertNameFree(tx, ctx.actor.accountId, data.name);
    const [group] = await tx.insert(groups).values({ accountId: ctx.actor.accountId, ...data }).returning();
    return { value: { id: group!.id }, resourceId: group!.id, resourceName: group!.name };
  });
}

export async function updateGroup(ctx: ServiceContext, input: { groupId: string; name: string; description?: string }) {
  const data = updateGroupSchema.parse(input);
  return audited(ctx, { action: "iam:group:update", resourceType: "group", resourceId: data.groupId }, async (tx) => {
    await assertNameFree(tx, ctx.actor.accountId, data.name, data.groupId);
    const [group] = await tx
      .update(groups)
      .set({ name: data.name, description: data.description })
      .where(and(eq(groups.id, data.groupId), eq(groups.accountId, ctx.actor.accountId)))
      .returning();
    if (!group) throw notFound("User group");
    return { value: { id: group.id }, resourceName: group.name };
  });
}

export async function deleteGroup(ctx: ServiceContext, input: { groupId: string }) {
  const { groupId } = groupIdSchema.parse(input);
  return audited(ctx, { action: "iam:group:delete", resourceType: "group", resourceId: groupId }, async (tx) => {
    const [group] = await tx.select().from(groups).where(and(eq(groups.id, groupId), eq(groups.accountId, ctx.actor.accountId)));
    if (!group) throw notFound("User group");
    if (group.isAdmin) throw badRequest("The administrators' group cannot be deleted.");
    await tx.delete(policyAttachments).where(and(eq(policyAttachments.principalType, "group"), eq(policyAttachments.principalId, group.id)));
    await tx.delete(groups).where(eq(groups.id, group.id));
    return { value: { id: group.id }, resourceName: group.name };
  });
}

export async function addUserToGroup(ctx: ServiceContext, input: { groupId: string; userId: string }) {
  const data = groupMemberSchema.parse(input);
  const result = await audited(ctx, { action: "iam:group:addUser", resourceType: "group", resourceId: data.groupId, details: { userId: data.userId } }, async (tx) => {
    const [group] = await tx.select().from(groups).where(and(eq(groups.id, data.groupId), eq(groups.accountId, ctx.actor.accountId)));
    if (!group) throw notFound("User group");
    const [user] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, data.userId), eq(users.accountId, ctx.actor.accountId)));
    if (!user) throw notFound("User");
    await tx.insert(groupMembers).values({ accountId: ctx.actor.accountId, groupId: group.id, userId: user.id }).onConflictDoNothing();
    return { value: { ok: true as const }, resourceName: group.name };
  });
  forgetPermissions(ctx.actor);
  return result;
}

export async function removeUserFromGroup(ctx: ServiceContext, input: { groupId: string; userId: string }) {
  const data = groupMemberSchema.parse(input);
  const result = await audited(ctx, { action: "iam:group:removeUser", resourceType: "group", resourceId: data.groupId, details: { userId: data.userId } }, async (tx) => {
    const [group] = await tx.select().from(groups).where(and(eq(groups.id, data.groupId), eq(groups.accountId, ctx.actor.accountId)));
    if (!group) throw notFound("User group");
    if (group.isAdmin) await assertAnotherAdminRemains(tx, ctx.actor.accountId, data.userId);
    const removed = await tx
      .delete(groupMembers)
      .where(and(eq(groupMembers.groupId, group.id), eq(groupMembers.userId, data.userId)))
      .returning({ userId: groupMembers.userId });
    if (!removed.length) throw notFound("Group member");
    return { value: { ok: true as const }, resourceName: group.name };
  });
  forgetPermissions(ctx.actor);
  return result;
}
