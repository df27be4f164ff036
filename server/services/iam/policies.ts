import { and, asc, eq, sql } from "drizzle-orm";
import { groups, policies, policyAttachments, users } from "@/drizzle/schema";
import { assertCan, forgetPermissions } from "../../authz/assert-can";
import { parsePolicyDocument, type PolicyDocument } from "../../authz/policy-schema";
import { findSystemPolicy, SYSTEM_POLICIES } from "../../authz/system-policies";
import type { Tx } from "../../db";
import { badRequest, conflict, notFound } from "../../errors";
import { audited } from "../audit/audited";
import type { ServiceContext } from "../context";
import { attachmentSchema, createPolicySchema, policyIdSchema, updatePolicySchema } from "./schemas";

export type PolicyDto = {
  id: string;
  name: string;
  description: string;
  isSystem: boolean;
  document: PolicyDocument;
  version: number;
  attachmentCount: number;
};

/** Validates a policy text or object; a bad one is refused with every error and where it is. */
function validDocument(input: unknown): PolicyDocument {
  const parsed = parsePolicyDocument(input);
  if (!parsed.ok) {
    const first = parsed.errors[0]!;
    throw badRequest(`The policy is not valid: ${first.path ? `${first.path}: ` : ""}${first.message}`, { errors: parsed.errors });
  }
  return parsed.document;
}

async function attachmentCounts(ctx: ServiceContext) {
  const rows = await ctx.db
    .select({ policyId: policyAttachments.policyId, n: sql<number>`count(*)::int` })
    .from(policyAttachments)
    .where(eq(policyAttachments.accountId, ctx.actor.accountId))
    .groupBy(policyAttachments.policyId);
  return new Map(rows.map((r) => [r.policyId, r.n]));
}

export async function listPolicies(ctx: ServiceContext): Promise<PolicyDto[]> {
  await assertCan(ctx, "iam:policy:list");
  const counts = await attachmentCounts(ctx);
  const custom = await ctx.db.select().from(policies).where(eq(policies.accountId, ctx.actor.accountId)).orderBy(asc(policies.name));
  return [
    ...SYSTEM_POLICIES.map((p) => ({ ...p, isSystem: true, version: 1, attachmentCount: counts.get(p.id) ?? 0 })),
    ...custom.map((p) => ({
      id: p.id,
      name: p.name,
      description: p.description,
      isSystem: false,
      document: p.document as PolicyDocument,
      version: p.version,
      attachmentCount: counts.get(p.id) ?? 0,
    })),
  ];
}

export async function getPolicy(ctx: ServiceContext, input: { policyId: string }) {
  const { policyId } = policyIdSchema.parse(input);
  await assertCan(ctx, "iam:policy:get");
  const policy = (await listPolicies(ctx)).find((p) => p.id === policyId);
  if (!policy) throw notFound("Policy");
  const attachedTo = await ctx.db
    .select({
      principalType: policyAttachments.principalType,
      principalId: policyAttachments.principalId,
      userEmail: users.email,
      groupName: groups.name,
    })
    .from(policyAttachments)
    .leftJoin(users, and(eq(policyAttachments.principalType, "user"), eq(users.id, policyAttachments.principalId)))
    .leftJoin(groups, and(eq(policyAttachments.principalType, "group"), eq(groups.id, policyAttachments.principalId)))
    .where(and(eq(policyAttachments.accountId, ctx.actor.accountId), eq(policyAttachments.policyId, policyId)));
  return {
    ...policy,
    attachedTo: attachedTo.map((a) => ({
      principalType: a.principalType,
      principalId: a.principalId,
      name: a.userEmail ?? a.groupName ?? "(removed)",
    })),
  };
}

async function assertNameFree(tx: Tx, accountId: string, name: string, exceptId?: string) {
  if (SYSTEM_POLICIES.some((p) => p.name.toLowerCase() === name.toLowerCase())) {
    throw conflict(`"${name}" is the name of a system policy. Choose another name.`);
  }
  const [taken] = await tx
    .select({ id: policies.id })
    .from(policies)
    .where(and(eq(policies.accountId, accountId), sql`lower(${policies.name}) = lower(${name})`));
  if (taken && taken.id !== exceptId) throw conflict(`A policy named "${name}" already exists.`);
}

export async function createPolicy(ctx: ServiceContext, input: { name: string; description?: string; document: unknown }) {
  const data = createPolicySchema.parse(input);
  const document = validDocument(data.document);
  return audited(ctx, { action: "iam:policy:create", resourceType: "policy" }, async (tx) => {
    await assertNameFree(tx, ctx.actor.accountId, data.name);
    const [row] = await tx
      .insert(policies)
      .values({ accountId: ctx.actor.accountId, name: data.name, description: data.description, document })
      .returning();
    return { value: { id: row!.id, version: row!.version }, resourceId: row!.id, resourceName: row!.name };
  });
}

export async function updatePolicy(
  ctx: ServiceContext,
  input: { policyId: string; version: number; name: string; description?: string; document: unknown },
) {
  const data = updatePolicySchema.parse(input);
  if (findSystemPolicy(data.policyId)) throw badRequest("System policies cannot be edited. Create a custom policy instead.");
  const document = validDocument(data.document);
  const result = await audited(ctx, { action: "iam:policy:update", resourceType: "policy", resourceId: data.policyId }, async (tx) => {
    await assertNameFree(tx, ctx.actor.accountId, data.name, data.policyId);
    const [row] = await tx
      .update(policies)
      .set({ name: data.name, description: data.description, document, version: data.version + 1, updatedAt: new Date() })
      .where(and(eq(policies.id, data.policyId), eq(policies.accountId, ctx.actor.accountId), eq(policies.version, data.version)))
      .returning();
    if (!row) {
      const [exists] = await tx.select({ id: policies.id }).from(policies).where(and(eq(policies.id, data.policyId), eq(policies.accountId, ctx.actor.accountId)));
      if (!exists) throw notFound("Policy");
      throw conflict("Someone else changed this policy since you opened it. Reload it and apply your change again.");
    }
    return { value: { id: row.id, version: row.version }, resourceName: row.name };
  });
  forgetPermissions(ctx.actor);
  return result;
}

export async function deletePolicy(ctx: ServiceContext, input: { policyId: string }) {
  const { policyId } = policyIdSchema.parse(input);
  if (findSystemPolicy(policyId)) throw badRequest("System policies cannot be deleted.");
  return audited(ctx, { action: "iam:policy:delete", resourceType: "policy", resourceId: policyId }, async (tx) => {
    const [row] = await tx.select().from(policies).where(and(eq(policies.id, policyId), eq(policies.accountId, ctx.actor.accountId)));
    if (!row) throw notFound("Policy");
    const [attached] = await tx.select({ id: policyAttachments.id }).from(policyAttachments).where(eq(policyAttachments.policyId, policyId)).limit(1);
    if (attached) throw conflict("This policy is attached to users or groups. Detach it everywhere first.");
    await tx.delete(policies).where(eq(policies.id, policyId));
    return { value: { id: policyId }, resourceName: row.name };
  });
}

async function assertPrincipalExists(tx: Tx, accountId: string, type: "user" | "group", id: string) {
  const table = type === "user" ? users : groups;
  const [row] = await tx.select({ id: table.id }).from(table).where(and(eq(table.id, id), eq(table.accountId, accountId)));
  if (!row) throw notFound(type === "user" ? "User" : "User group");
}

async function assertPolicyExists(tx: Tx, accountId: string, policyId: string) {
  if (findSystemPolicy(policyId)) return findSystemPolicy(policyId)!.name;
  const [row] = await tx.select({ name: policies.name }).from(policies).where(and(eq(policies.id, policyId), eq(policies.accountId, accountId)));
  if (!row) throw notFound("Policy");
  return row.name;
}

export async function attachPolicy(ctx: ServiceContext, input: { policyId: string; principalType: "user" | "group"; principalId: string }) {
  const data = attachmentSchema.parse(input);
  const result = await audited(ctx, { action: "iam:policy:attach", resourceType: "policy", resourceId: data.policyId, details: data }, async (tx) => {
    const name = await assertPolicyExists(tx, ctx.actor.accountId, data.policyId);
    await assertPrincipalExists(tx, ctx.actor.accountId, data.principalType, data.principalId);
    await tx.insert(policyAttachments).values({ accountId: ctx.actor.accountId, ...data }).onConflictDoNothing();
    return { value: { ok: true as const }, resourceName: name };
  });
  forgetPermissions(ctx.actor);
  return result;
}

export async function detachPolicy(ctx: ServiceContext, input: { policyId: string; principalType: "user" | "group"; principalId: string }) {
  const data = attachmentSchema.parse(input);
  const result = await audited(ctx, { action: "iam:policy:detach", resourceType: "policy", resourceId: data.policyId, details: data }, async (tx) => {
    const name = await assertPolicyExists(tx, ctx.actor.accountId, data.policyId);
    if (data.principalType === "group") {
      const [group] = await tx.select({ isAdmin: groups.isAdmin }).from(groups).where(and(eq(groups.id, data.principalId), eq(groups.accountId, ctx.actor.accountId)));
      if (group?.isAdmin && findSystemPolicy(data.policyId)) {
        throw badRequest("The administrators' group keeps its system policies, so the account cannot lock itself out.");
      }
    }
    const removed = await tx
      .delete(policyAttachments)
      .where(
        and(
          eq(policyAttachments.accountId, ctx.actor.accountId),
          eq(policyAttachments.policyId, data.policyId),
          eq(policyAttachments.principalType, data.principalType),
          eq(policyAttachments.principalId, data.principalId),
        ),
      )
      .returning({ id: policyAttachments.id });
    if (!removed.length) throw notFound("Policy attachment");
    return { value: { ok: true as const }, resourceName: name };
  });
  forgetPermissions(ctx.actor);
  return result;
}

/** Policies attached to one user or group, for their detail pages. */
export async function listAttachedPolicies(ctx: ServiceContext, input: { principalType: "user" | "group"; principalId: string }) {
  await assertCan(ctx, "iam:policy:list");
  const rows = await ctx.db
    .select({ policyId: policyAttachments.policyId })
    .from(policyAttachments)
    .where(
      and(
        eq(policyAttachments.accountId, ctx.actor.accountId),
        eq(policyAttachments.principalType, input.principalType),
        eq(policyAttachments.principalId, input.principalId),
      ),
    );
  const all = await listPolicies(ctx);
  const ids = new Set(rows.map((r) => r.policyId));
  return all.filter((p) => ids.has(p.id)).map((p) => ({ id: p.id, name: p.name, isSystem: p.isSystem }));
}
